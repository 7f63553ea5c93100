// A deterministic, SPEC.md-format scenario of any size for store, crash and snapshot tests:
// referral trees, merchants in real region codes, agents, orders, sells, injections, retries of
// accepted ids and a few malformed events.

const regions = ['440306', '440305', '440106', '110105', '310115'];

function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4_294_967_296;
  };
}

export function generatedScenario(options: { members: number; events: number; seed: number }): unknown {
  const next = generator(options.seed);
  const pick = (count: number): number => Math.floor(next() * count);
  const members = Array.from({ length: options.members }, (_, index) => ({
    id: `mem_${index}`,
    ...(index > 0 && next() < 0.7 ? { referrer: `mem_${pick(index)}` } : {}),
  }));
  const merchants = regions.map((region, index) => ({
    id: `mch_${index}`,
    owner: `mem_${pick(options.members)}`,
    recruiter: `mem_${pick(options.members)}`,
    region,
    ...(index === 0 ? { commissionRate: '0.15' } : {}),
  }));
  const agents = [
    { member: 'mem_1', level: 'district', region: '440306' },
    { member: 'mem_2', level: 'city', region: '440300' },
    { member: 'mem_3', level: 'province', region: '440000' },
  ];
  const events: unknown[] = [];
  for (let index = 0; events.length < options.events; index += 1) {
    const roll = next();
    if (roll < 0.8) {
      const amount = `${10 + pick(990)}.${String(pick(100)).padStart(2, '0')}`;
      events.push({
        type: 'order',
        id: `ord_${index}`,
        member: `mem_${pick(options.members)}`,
        merchant: `mch_${pick(regions.length)}`,
        amount,
      });
    } else if (roll < 0.93) {
      events.push({
        type: 'sell',
        id: `sel_${index}`,
        member: `mem_${pick(options.members)}`,
        points: `${pick(5)}.${pick(999_999)}`,
      });
    } else if (roll < 0.95) {
      events.push({ type: 'inject', id: `inj_${index}`, amount: `${1 + pick(500)}.00` });
    } else if (roll < 0.99 && events.length > 0) {
      events.push(events[pick(events.length)]); // a retry: a duplicate, or a retry of a rejected event
    } else {
      events.push({ type: 'order', id: `bad_${index}`, member: 'mem_0', merchant: 'mch_0', amount: '1.005' });
    }
  }
  return { config: { capMultiple: '1.1' }, setup: { members, merchants, agents }, events };
}
