/**
 * A stand-in for the Electron preload in a plain Chromium page: `window.studio` over the web
 * host's bridge socket, and media channels handed to the page as MessagePorts (as the preload
 * does), relayed to the web host's `/media` socket by the test's own wiring. Runs before the
 * page's scripts (`page.addInitScript`), so the renderer takes the desktop host's code paths.
 */

/**
 * The preload's source. `channelWiring` is JavaScript run for each opened channel with
 * `channel`, `port2` (the engine's end of the port), `base`, `token` and `engineSide`
 * (`window.__engineSide`, where a test keeps what its end saw) in scope; it connects `port2`
 * to the engine.
 */
export function standInPreload(channelWiring: string): string {
	return `(() => {
	const token = new URL(location.href).searchParams.get("token");
	if (!token) return;
	const base = "ws://" + location.host;
	const engineSide = { channels: {} };
	window.__engineSide = engineSide;
	const pending = new Map();
	const listeners = new Map();
	const outbox = [];
	let nextId = 1;
	const ws = new WebSocket(base + "/bridge?token=" + encodeURIComponent(token));
	const send = (msg) => (ws.readyState === 1 ? ws.send(JSON.stringify(msg)) : outbox.push(msg));
	ws.onopen = () => { for (const m of outbox.splice(0)) ws.send(JSON.stringify(m)); };
	ws.onmessage = (ev) => {
		const msg = JSON.parse(ev.data);
		if (msg.type === "response") {
			const done = pending.get(msg.id);
			pending.delete(msg.id);
			const { type, id, ...envelope } = msg;
			done && done(envelope);
		} else if (msg.type === "event") {
			for (const l of listeners.get(msg.event) || []) l(msg.payload);
		}
	};
	window.studio = {
		invoke: (method, args) => new Promise((resolve) => {
			const id = nextId++;
			pending.set(id, resolve);
			send({ type: "invoke", id, method, args });
		}),
		subscribe: (event, listener) => {
			let set = listeners.get(event);
			if (!set) {
				set = new Set();
				listeners.set(event, set);
				send({ type: "subscribe", events: [event] });
			}
			set.add(listener);
			return () => set.delete(listener);
		},
		openMediaChannel: (channel) => {
			const { port1, port2 } = new MessageChannel();
${channelWiring}
			port2.start();
			window.postMessage({ type: "moq-studio:media-port", channel }, location.origin, [port1]);
		},
	};
})();`;
}
