/**
 * Session close codes the relay sends in QMux APPLICATION_CLOSE.
 *
 * Close codes travel as unsigned varints, while the studio's error table uses negative numbers,
 * so a session closed for a reason from `shared/errors.ts` carries the code's absolute value:
 * UNAUTHORIZED (-6) closes with 6, PROTOCOL (-7) with 7, LIMIT (-8) with 8. 0 is a clean close.
 */
import { ErrorCode, type ErrorName } from "../../../shared/errors";

/** The close code for a clean close (relay shutdown, client left). */
export const CLOSE_OK = 0;

/** The QMux close code the relay uses for a session closed because of `name`. */
export function closeCodeFor(name: ErrorName): number {
	return -ErrorCode[name];
}
