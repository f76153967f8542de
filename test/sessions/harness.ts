/**
 * Helpers for session tests: an engine with its sessions, status recording, and a local
 * broadcast that writes numbered frames.
 */
import * as Moq from "@moq/net";
import { Logger } from "../../electron/engine/log/logger";
import { LocalBroadcast } from "../../electron/engine/origins/broadcast";
import { Studio } from "../../electron/engine/studio";
import { until } from "../relay/clients";

/** An engine plus every status code each session reported. */
export function makeStudio() {
	const logger = new Logger();
	if (process.env.STUDIO_LOG) logger.addSink((e) => process.stderr.write(`[${e.level}] ${e.scope}: ${e.message}\n`));
	const studio = new Studio({ host: "web", logger });
	const statuses = new Map<string, number[]>();
	studio.sessions.onStatus((id, code) => {
		const list = statuses.get(id) ?? [];
		list.push(code);
		statuses.set(id, list);
	});
	return {
		studio,
		statuses: (id: string) => statuses.get(id) ?? [],
		waitStatus: (id: string, code: number, ms = 15_000) => until(() => (statuses.get(id) ?? []).includes(code), ms, `status ${code} of ${id}`),
	};
}

/** A local broadcast with one track whose frames are `frame-N`, a new group every `perGroup` frames. */
export function localBroadcast(path: string, track = "video", perGroup = 5) {
	const producer = new Moq.Broadcast.Producer();
	const t = producer.createTrack(track);
	let n = 0;
	let group: Moq.Group.Producer | undefined;
	const timer = setInterval(() => {
		if (!group || n % perGroup === 0) {
			group?.close();
			group = t.appendGroup();
		}
		group.writeFrame({ payload: new TextEncoder().encode(`frame-${n++}`), timestamp: Moq.Time.Timestamp.now() });
	}, 20);
	return {
		broadcast: new LocalBroadcast(path, producer),
		stop() {
			clearInterval(timer);
			group?.close();
			producer.close();
		},
	};
}

/** Reads frames of `track` from a consumer until `count` arrive; returns their texts. */
export async function readFrames(consumer: Moq.Broadcast.Consumer, track: string, count: number): Promise<string[]> {
	const sub = consumer.subscribe(track);
	const out: string[] = [];
	try {
		while (out.length < count) {
			const frame = await sub.readFrame();
			if (!frame) break;
			out.push(new TextDecoder().decode(frame.payload));
		}
	} finally {
		sub.close();
	}
	return out;
}

/** Resolves once `conn` sees `path` announced (active), or unannounced with `active: false`. */
export async function waitAnnounced(conn: Moq.Connection.Established, path: string, ms = 10_000, active = true): Promise<void> {
	const announced = conn.announced(Moq.Path.empty());
	const deadline = setTimeout(() => announced.close(new Error(`timed out waiting for ${path} to be announced`)), ms);
	try {
		for (;;) {
			const event = await announced.next();
			if (!event) throw new Error(`announcements ended before ${path}`);
			if (event.active === active && event.path === path) return;
		}
	} finally {
		clearTimeout(deadline);
		announced.close();
	}
}
