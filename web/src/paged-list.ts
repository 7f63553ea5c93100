// A staff list with search and paging over a `Page` endpoint (`?offset=&limit=&search=`): typing
// reloads from the first page after a short pause, turning a page reloads that page.
import { onMounted, type Ref, ref, watch } from 'vue';
import { get, type Page } from './api';
import { showFailure } from './staff';

/** Rows per page of the staff lists. */
export const listPageSize = 20;
/** How long typing must pause before the search runs. */
const searchPauseMs = 250;

export interface PagedList<Row> {
  readonly search: Ref<string>;
  readonly page: Ref<number>;
  readonly rows: Ref<Row[]>;
  readonly total: Ref<number>;
  /** Loads the current page again (after a change the list shows). */
  load(): Promise<void>;
}

export function usePagedList<Row>(path: string): PagedList<Row> {
  const search = ref('');
  const page = ref(1);
  const rows = ref<Row[]>([]) as Ref<Row[]>;
  const total = ref(0);

  async function load(): Promise<void> {
    try {
      const query = new URLSearchParams({
        offset: String((page.value - 1) * listPageSize),
        limit: String(listPageSize),
      });
      if (search.value.trim() !== '') query.set('search', search.value.trim());
      const answer = await get<Page<Row>>(`${path}?${query}`);
      rows.value = answer.items;
      total.value = answer.total;
    } catch (error) {
      showFailure(error);
    }
  }
  onMounted(load);

  let typing: ReturnType<typeof setTimeout> | undefined;
  watch(search, () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      page.value = 1;
      void load();
    }, searchPauseMs);
  });
  watch(page, load);

  return { search, page, rows, total, load };
}
