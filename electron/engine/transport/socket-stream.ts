/**
 * A `ws` WebSocket handed to `@moq/qmux` as the `WebSocketStream` it accepts, without web streams.
 *
 * Given a plain WebSocket, QMux wraps it in `@moq/web-socket-stream`'s ponyfill: a `ReadableStream`
 * fed from `onmessage` (which makes `ws` build a `MessageEvent` per message and copy every message
 * into a fresh `ArrayBuffer`), and a `WritableStream` in front of `send`. QMux then only ever calls
 * `read()` on the one and `ready` / `write()` / `desiredSize` on the other, one record at a time,
 * so the web-stream machinery (its promises, queues and controllers) is pure overhead on every
 * record: on a relay carrying one fast stream it was about a tenth of the busy time, with its
 * garbage (bench/relay-throughput.ts). This is the same contract with plain objects:
 *
 * - reading: binary messages in order, each a `Uint8Array` that owns its bytes (copied when the
 *   message is a view into a larger socket buffer, as the ponyfill's `ArrayBuffer` conversion did,
 *   so nothing QMux keeps pins a socket read), except a message that is exactly one QMux STREAM
 *   frame with its length: QMux copies that payload out itself (frame.js `take`) and keeps
 *   nothing of the message, so a second copy here was pure cost; text messages as strings (QMux
 *   refuses them); the end after the socket closes; a socket error fails the pending read;
 * - writing: `send`, then, past the high-water mark of `bufferedAmount`, a write that resolves
 *   once the socket has drained below it (polled every 10 ms, as the ponyfill does). The records
 *   QMux writes in one burst (one turn of the microtask queue, up to the high-water mark) leave in
 *   one `writev`: the TCP socket under `ws` is corked at the burst's first write and uncorked at
 *   its end (`process.nextTick`), where each 16 KiB record used to cost a system call of its own
 *   (`writev` was a tenth of a relay's time carrying one fast stream);
 * - `opened` / `closed` / `close()` as the ponyfill settles them (`closed` resolves with the
 *   socket's close code, 1006 when it never opened).
 *
 * It must be made while the socket is still connecting or just opened, before anything reads it:
 * it listens from the start, so the peer's first frame (its transport parameters) is not missed.
 */
import type { WebSocket } from "ws";

const CONNECTING = 0;
const OPEN = 1;
/** How often a write past the high-water mark looks at `bufferedAmount` again (the ponyfill's period). */
const DRAIN_POLL_MS = 10;

type Message = Uint8Array | string;
type ReadResult = { done: false; value: Message } | { done: true; value: undefined };

const DONE: ReadResult = { done: true, value: undefined };

/** What QMux takes from an opened `WebSocketStream`. */
interface OpenedSocket {
	readable: { getReader(): { read(): Promise<ReadResult>; releaseLock(): void; cancel(): Promise<void> } };
	writable: { getWriter(): { readonly ready: Promise<void>; readonly desiredSize: number | null; write(chunk: Uint8Array): Promise<void> } };
	extensions: string;
	protocol: string;
}

/** The `WebSocketStream` shape QMux accepts (`new Qmux(stream)`, `Qmux.accept(stream)`). */
export interface SocketStream {
	readonly url: string;
	readonly opened: Promise<OpenedSocket>;
	readonly closed: Promise<{ closeCode: number; reason: string }>;
	close(info?: { closeCode?: number; reason?: string }): void;
	setHighWaterMark(bytes: number): void;
}

/**
 * A message's bytes as QMux may keep them (see the module comment): a view when the message owns
 * its buffer or is one length-carrying STREAM frame (`qmux` wire formats), a copy otherwise.
 */
function owned(data: Buffer, qmux: boolean): Uint8Array {
	const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return view;
	return qmux && isOneStreamFrame(view) ? view : view.slice();
}

/** Reads the QUIC varint at `at`: [value, next offset], or undefined past the end (or too large to matter). */
function varint(b: Uint8Array, at: number): [number, number] | undefined {
	if (at >= b.byteLength) return undefined;
	const first = b[at] as number;
	const size = 1 << (first >> 6);
	if (at + size > b.byteLength || size === 8) return undefined;
	let value = first & 0x3f;
	for (let i = 1; i < size; i++) value = value * 256 + (b[at + i] as number);
	return [value, at + size];
}

/**
 * True when `b` is exactly one QMux STREAM frame (type 0x08-0x0f) with the LEN bit, its length
 * running to the message's end: the one frame whose payload QMux copies and of which it keeps
 * nothing else. Anything else (several frames, no LEN, other frames, malformed) is copied.
 */
export function isOneStreamFrame(b: Uint8Array): boolean {
	const type = b[0];
	if (type === undefined || type < 0x08 || type > 0x0f || (type & 0x02) === 0) return false;
	const id = varint(b, 1);
	if (!id) return false;
	let at = id[1];
	if (type & 0x04) {
		const offset = varint(b, at);
		if (!offset) return false;
		at = offset[1];
	}
	const length = varint(b, at);
	return length !== undefined && length[1] + length[0] === b.byteLength;
}

/**
 * Presents `ws` to QMux (see the module comment). `highWaterMark` is the send buffer, in bytes,
 * past which writes wait (QMux's `sendBufferSize`; it may change it through `setHighWaterMark`).
 */
export function socketStream(ws: WebSocket, highWaterMark: number): SocketStream {
	let mark = Math.max(1, Math.floor(highWaterMark));
	const queue: Message[] = [];
	let head = 0;
	let waiting: { resolve(r: ReadResult): void; reject(err: unknown): void } | undefined;
	let ended = false;
	let failure: Error | undefined;
	let draining: Promise<void> | undefined;

	let resolveOpened!: (o: OpenedSocket) => void;
	let rejectOpened!: (err: Error) => void;
	const opened = new Promise<OpenedSocket>((resolve, reject) => {
		resolveOpened = resolve;
		rejectOpened = reject;
	});
	opened.catch(() => {});
	let resolveClosed!: (info: { closeCode: number; reason: string }) => void;
	const closed = new Promise<{ closeCode: number; reason: string }>((resolve) => (resolveClosed = resolve));

	const push = (message: Message) => {
		if (ended) return;
		if (waiting) {
			const w = waiting;
			waiting = undefined;
			w.resolve({ done: false, value: message });
		} else queue.push(message);
	};
	const take = (): Message => {
		const value = queue[head]!;
		queue[head++] = "";
		if (head === queue.length) {
			queue.length = 0;
			head = 0;
		} else if (head >= 1024) {
			queue.splice(0, head);
			head = 0;
		}
		return value;
	};
	const finish = (err?: Error) => {
		if (ended) return;
		ended = true;
		failure = err;
		const w = waiting;
		waiting = undefined;
		if (w) {
			if (err) w.reject(err);
			else w.resolve(DONE);
		}
	};

	// The TCP socket under `ws` (`_socket`, stable across ws 8), corked for the current burst.
	let corked: { cork(): void; uncork(): void } | undefined;
	const uncork = () => {
		const socket = corked;
		corked = undefined;
		socket?.uncork();
	};
	const cork = () => {
		if (corked) return;
		const socket = (ws as unknown as { _socket?: { cork?(): void; uncork?(): void } })._socket;
		if (typeof socket?.cork !== "function" || typeof socket.uncork !== "function") return;
		socket.cork();
		corked = socket as { cork(): void; uncork(): void };
		process.nextTick(uncork);
	};

	const drain = (): Promise<void> =>
		new Promise<void>((resolve, reject) => {
			const check = () => {
				if (ws.bufferedAmount <= mark) return resolve();
				// The socket closed mid-write: the write fails rather than pretend it was sent.
				if (ws.readyState > OPEN) return reject(new Error("WebSocket is closing"));
				setTimeout(check, DRAIN_POLL_MS);
			};
			check();
		});

	const reader = {
		read: (): Promise<ReadResult> => {
			if (head < queue.length) return Promise.resolve({ done: false, value: take() });
			if (failure) return Promise.reject(failure);
			if (ended) return Promise.resolve(DONE);
			return new Promise<ReadResult>((resolve, reject) => (waiting = { resolve, reject }));
		},
		releaseLock: () => {},
		cancel: (): Promise<void> => {
			ws.close();
			return Promise.resolve();
		},
	};
	const writer = {
		get ready(): Promise<void> {
			return draining ?? Promise.resolve();
		},
		get desiredSize(): number | null {
			return ws.readyState > OPEN ? null : mark - ws.bufferedAmount;
		},
		write: (chunk: Uint8Array): Promise<void> => {
			if (ws.readyState === OPEN) cork();
			ws.send(chunk);
			if (ws.bufferedAmount <= mark) return Promise.resolve();
			// Past the mark: what the burst holds goes out now, and only what the socket cannot take waits.
			uncork();
			if (ws.bufferedAmount <= mark) return Promise.resolve();
			const pending = drain();
			draining = pending;
			void pending.then(
				() => {
					if (draining === pending) draining = undefined;
				},
				() => {},
			);
			return pending;
		},
	};
	// The QMux drafts' framing (not the legacy `webtransport` binding, whose frames differ).
	let qmuxWire = false;
	const open = () => {
		qmuxWire = /^qmux-0\d/.test(ws.protocol);
		resolveOpened({ readable: { getReader: () => reader }, writable: { getWriter: () => writer }, extensions: ws.extensions, protocol: ws.protocol });
	};

	ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
		const buffer = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
		push(isBinary ? owned(buffer, qmuxWire) : buffer.toString());
	});
	ws.on("error", (err: Error) => {
		rejectOpened(new Error("WebSocket connection error", { cause: err }));
		finish(new Error("WebSocket connection error", { cause: err }));
	});
	ws.on("close", (code: number, reason: Buffer) => {
		uncork();
		rejectOpened(new Error("WebSocket closed before opening"));
		finish();
		resolveClosed({ closeCode: code ?? 1006, reason: reason?.toString() ?? "" });
	});
	if (ws.readyState === OPEN) open();
	else if (ws.readyState === CONNECTING) ws.once("open", open);
	else {
		rejectOpened(new Error("WebSocket is already closed"));
		finish();
		resolveClosed({ closeCode: 1006, reason: "" });
	}

	return {
		url: ws.url ?? "",
		opened,
		closed,
		close(info) {
			const code = info?.closeCode;
			if (code === 1000 || (code !== undefined && code >= 3000 && code <= 4999)) ws.close(code, info?.reason);
			else ws.close();
		},
		setHighWaterMark(bytes) {
			mark = Math.max(1, Math.floor(bytes));
		},
	};
}
