// The staff and merchant pages use Element Plus; its styles load with them (not on the member's H5 pages).
import 'element-plus/dist/index.css';
import { ElMessage } from 'element-plus';

/** Show an API failure. */
export function showFailure(error: unknown): void {
  ElMessage.error(error instanceof Error ? error.message : String(error));
}
