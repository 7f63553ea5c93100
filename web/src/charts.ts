// What a daily chart (components/DailyChart.vue) draws: one series per field of the days.
export interface DailySeries {
  /** The field of each day (a count, or money as a decimal string). */
  readonly key: string;
  readonly name: string;
  readonly type: 'bar' | 'line';
  readonly money: boolean;
  /** 0: the left axis, 1: the right one. */
  readonly axis: 0 | 1;
}
