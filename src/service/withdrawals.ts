// Each member's withdrawals as a read model: the ids in request order (the state keeps every
// withdrawal, but by id only) and when each was last reviewed.
import type { Event } from '../domain/messages.ts';
import type { Projection } from './projections.ts';

export class MemberWithdrawals implements Projection {
  private readonly byMember = new Map<string, string[]>();
  private readonly reviewedAtMs = new Map<string, number>();

  /** The member's withdrawal ids, oldest first. */
  ids(member: string): readonly string[] {
    return this.byMember.get(member) ?? [];
  }

  /** When the withdrawal was last reviewed (the reviewer's time), or null if never. */
  reviewedAt(withdrawal: string): number | null {
    return this.reviewedAtMs.get(withdrawal) ?? null;
  }

  record(event: Event): void {
    switch (event.type) {
      case 'WithdrawalRequested': {
        const list = this.byMember.get(event.command.member);
        if (list === undefined) this.byMember.set(event.command.member, [event.command.id]);
        else list.push(event.command.id);
        break;
      }
      case 'WithdrawalReviewed':
        this.reviewedAtMs.set(event.command.withdrawal, event.command.atMs);
        break;
      default:
        break;
    }
  }
}
