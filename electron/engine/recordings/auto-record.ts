/**
 * Auto-record rules: "record every broadcast whose path starts with P, seen through origin O".
 *
 * Each matching announcement starts one recording through the recordings manager (so it is listed,
 * followed and stopped like any other): a broadcast announced while the rule exists is recorded
 * from its first group, one already running when the rule is created (or when the engine starts)
 * from its latest group. A recording follows its broadcast across reconnects into the same file,
 * as manual recordings do, and the end of the broadcast finalizes it; the broadcast announced
 * again after that gets a new file. One broadcast is recorded once even when several rules match
 * it (the oldest rule takes it). Deleting a rule stops its running recordings, completing their
 * files.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { AUTO_RECORD_HISTORY, normalizePrefix, pathMatchesPrefix, type AutoRecorded, type AutoRecordRule, type AutoRecordRuleArgs } from "../../../shared/auto-record";
import { StudioError } from "../../../shared/errors";
import { RecordingInfo } from "../../../shared/recordings";
import type { EventBus } from "../events";
import type { Log } from "../log/logger";
import type { OriginBroadcast } from "../origins/broadcast";
import type { OriginEvent, OriginRegistry } from "../origins/registry";
import type { RecordingManager } from "./manager";

/** At most this many rule recordings run at once; further matches are skipped with a LIMIT error on the rule. */
export const AUTO_RECORD_MAX_RUNNING = 64;

/** At most this many rules. */
export const AUTO_RECORD_MAX_RULES = 100;

/** A rule as the settings file keeps it (parsed leniently: one bad rule never loses the others). */
export const SavedAutoRecordRule = z.object({
	id: z.string().min(1),
	originId: z.string().min(1),
	prefix: z.string(),
	format: z.enum(["mp4", "mkv"]).default("mp4"),
	createdAt: z.number(),
	recorded: z.number().default(0),
	recordings: z
		.array(
			z.object({
				path: z.string(),
				file: z.string().nullable(),
				end: RecordingInfo.shape.end.catch(null),
				startedAt: z.number(),
				endedAt: z.number().nullable(),
				durationS: z.number().default(0),
				bytes: z.number().default(0),
			}),
		)
		.default([]),
});
/** @see SavedAutoRecordRule */
export type SavedAutoRecordRule = z.infer<typeof SavedAutoRecordRule>;

/** What the rules work with. */
export interface AutoRecordDeps {
	origins: OriginRegistry;
	/** Starts and stops the recordings (their progress comes back on `events`). */
	recordings: Pick<RecordingManager, "start" | "stop">;
	events: EventBus;
	log: Log;
}

interface Rule {
	id: string;
	originId: string;
	prefix: string;
	format: "mp4" | "mkv";
	createdAt: number;
	recorded: number;
	/** Newest first. */
	recordings: AutoRecorded[];
	error: AutoRecordRule["error"];
}

/** One running recording of a rule. */
interface Take {
	rule: Rule;
	recordingId: string;
	originId: string;
	path: string;
	entry: AutoRecorded;
	/** The broadcast instances the recording took (the first, and one per reconnect). */
	parts: Set<OriginBroadcast>;
}

const key = (originId: string, path: string) => `${originId}\n${path}`;

/** Owns the rules, watches every origin's announcements, and starts the recordings they ask for. */
export class AutoRecordRules {
	readonly #deps: AutoRecordDeps;
	/** In creation order: the oldest matching rule takes a broadcast. */
	readonly #rules = new Map<string, Rule>();
	/** Running recordings by origin and path: one broadcast path is recorded once at a time. */
	readonly #takes = new Map<string, Take>();
	readonly #byRecording = new Map<string, Take>();
	readonly #listeners = new Set<(save: boolean) => void>();
	readonly #cleanups: (() => void)[] = [];
	#closed = false;

	constructor(deps: AutoRecordDeps) {
		this.#deps = deps;
		let replaying = true;
		// Broadcasts already in the origins are scanned when a rule is added, not here.
		this.#cleanups.push(deps.origins.watchAll((event) => !replaying && this.#announced(event)));
		replaying = false;
		this.#cleanups.push(deps.events.listen((event, payload) => event === "recordings.progress" && this.#progress(payload as RecordingInfo)));
		// A rule lives in its origin: deleting the origin deletes its rules (their files stay).
		this.#cleanups.push(
			deps.origins.subscribe((origins) => {
				const ids = new Set(origins.map((o) => o.id));
				for (const rule of [...this.#rules.values()]) {
					if (ids.has(rule.originId)) continue;
					this.#deps.log.info(`auto-record rule ${describe(rule)} removed with its origin`);
					void this.#remove(rule);
				}
			}),
		);
	}

	/** Every rule with what it recorded, oldest rule first. */
	list(): AutoRecordRule[] {
		return [...this.#rules.values()].map((r) => this.#model(r));
	}

	/**
	 * Adds a rule and starts recording the matching broadcasts the origin already has (from their
	 * latest group). NOT_FOUND for an unknown origin, ALREADY_EXISTS for the same prefix on the same
	 * origin, INVALID_ARGUMENT for a prefix with spaces, LIMIT past {@link AUTO_RECORD_MAX_RULES}.
	 */
	create(args: AutoRecordRuleArgs): AutoRecordRule {
		if (this.#closed) throw new StudioError("CLOSED", "the studio is closing");
		if (!this.#deps.origins.has(args.originId)) throw new StudioError("NOT_FOUND", `no origin with id ${JSON.stringify(args.originId)}`);
		if (/\s/.test(args.prefix)) throw new StudioError("INVALID_ARGUMENT", "a path prefix has no spaces");
		const prefix = normalizePrefix(args.prefix);
		if (prefix.length > 512) throw new StudioError("INVALID_ARGUMENT", "a path prefix has at most 512 characters");
		for (const r of this.#rules.values()) {
			if (r.originId === args.originId && r.prefix === prefix) {
				throw new StudioError("ALREADY_EXISTS", `a rule already records ${prefix === "" ? "every broadcast" : JSON.stringify(prefix)} of this origin`);
			}
		}
		if (this.#rules.size >= AUTO_RECORD_MAX_RULES) throw new StudioError("LIMIT", `at most ${AUTO_RECORD_MAX_RULES} auto-record rules`);
		const rule: Rule = { id: randomUUID(), originId: args.originId, prefix, format: args.format ?? "mp4", createdAt: Date.now(), recorded: 0, recordings: [], error: null };
		this.#rules.set(rule.id, rule);
		this.#deps.log.info(`auto-record rule added: ${describe(rule)}`);
		this.#scan(rule);
		this.#changed();
		return this.#model(rule);
	}

	/**
	 * Deletes a rule; resolves once its running recordings stopped and their files are complete.
	 * NOT_FOUND for an unknown id.
	 */
	async delete(id: string): Promise<{ id: string }> {
		const rule = this.#rules.get(id);
		if (!rule) throw new StudioError("NOT_FOUND", `no auto-record rule with id ${JSON.stringify(id)}`);
		this.#deps.log.info(`auto-record rule deleted: ${describe(rule)}`);
		await this.#remove(rule);
		return { id };
	}

	/**
	 * Brings back saved rules (settings restore), skipping malformed ones and those whose origin is
	 * gone, and records what already matches. Returns how many came back.
	 */
	restore(saved: readonly unknown[]): number {
		let restored = 0;
		for (const raw of saved) {
			const parsed = SavedAutoRecordRule.safeParse(raw);
			if (!parsed.success || this.#rules.has(parsed.data.id) || !this.#deps.origins.has(parsed.data.originId)) {
				this.#deps.log.warn(`skipped a saved auto-record rule: ${parsed.success ? "its origin is gone" : "malformed"}`);
				continue;
			}
			const s = parsed.data;
			const rule: Rule = {
				id: s.id,
				originId: s.originId,
				prefix: normalizePrefix(s.prefix),
				format: s.format,
				createdAt: s.createdAt,
				recorded: s.recorded,
				// A recording cut by the last shutdown or crash is over: the library tells its file's state.
				recordings: s.recordings.slice(0, AUTO_RECORD_HISTORY).map((r) => ({
					recordingId: null,
					path: r.path,
					file: r.file,
					state: r.end === "failed" ? "failed" : "finished",
					end: r.end ?? "stopped",
					startedAt: r.startedAt,
					endedAt: r.endedAt ?? r.startedAt,
					durationS: r.durationS,
					bytes: r.bytes,
					error: null,
				})),
				error: null,
			};
			this.#rules.set(rule.id, rule);
			this.#scan(rule);
			restored++;
		}
		if (restored > 0) this.#changed();
		return restored;
	}

	/** The rules as the settings file keeps them. */
	saved(): SavedAutoRecordRule[] {
		return [...this.#rules.values()].map((r) => ({
			id: r.id,
			originId: r.originId,
			prefix: r.prefix,
			format: r.format,
			createdAt: r.createdAt,
			recorded: r.recorded,
			recordings: r.recordings.map(({ path, file, end, startedAt, endedAt, durationS, bytes }) => ({ path, file, end, startedAt, endedAt, durationS, bytes })),
		}));
	}

	/**
	 * Called after every change: `save` is true for one worth saving (a rule added or deleted, a
	 * recording started, named its file or finished), false for a running recording's counters.
	 */
	onChange(listener: (save: boolean) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Stops watching and stops every running rule recording, completing their files. Rules stay (they are saved). */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		for (const c of this.#cleanups.splice(0)) c();
		// Their final states are still recorded (the progress listener is gone): stop() resolves with them.
		await Promise.all([...this.#takes.values()].map((t) => this.#stopTake(t)));
		this.#changed();
	}

	/** The oldest rule that records `path` of `originId`. */
	#ruleFor(originId: string, path: string): Rule | undefined {
		for (const r of this.#rules.values()) if (r.originId === originId && pathMatchesPrefix(path, r.prefix)) return r;
		return undefined;
	}

	/** Records the matching broadcasts an origin has now (they were running before: latest group). */
	#scan(rule: Rule): void {
		let current: OriginBroadcast[] = [];
		try {
			current = this.#deps.origins.allBroadcasts().filter((b) => b.originId === rule.originId).map((b) => b.broadcast);
		} catch {
			return;
		}
		for (const broadcast of current) {
			if (broadcast.ended || this.#ruleFor(rule.originId, broadcast.path) !== rule || this.#takes.has(key(rule.originId, broadcast.path))) continue;
			this.#start(rule, broadcast, false);
		}
	}

	#announced({ originId, broadcast, active }: OriginEvent): void {
		if (this.#closed || !active || broadcast.ended) return;
		const rule = this.#ruleFor(originId, broadcast.path);
		if (!rule) return;
		// Already recorded: a reconnect's new instance is the same recording's next part; one
		// announced again after its end is picked up when that recording finishes (#progress).
		if (this.#takes.has(key(originId, broadcast.path))) return;
		this.#start(rule, broadcast, true);
	}

	#start(rule: Rule, broadcast: OriginBroadcast, announced: boolean): void {
		if (this.#takes.size >= AUTO_RECORD_MAX_RUNNING) {
			this.#failed(rule, new StudioError("LIMIT", `${broadcast.path} not recorded: ${AUTO_RECORD_MAX_RUNNING} auto-recordings already run`));
			return;
		}
		const parts = new Set<OriginBroadcast>();
		let info: RecordingInfo;
		try {
			info = this.#deps.recordings.start({
				originId: rule.originId,
				path: broadcast.path,
				format: rule.format,
				// Seen at its announcement: the recording starts at its first group.
				announced: announced ? broadcast : undefined,
				onPart: (b) => parts.add(b),
			});
		} catch (err) {
			this.#failed(rule, StudioError.from(err));
			return;
		}
		const entry: AutoRecorded = {
			recordingId: info.id,
			path: broadcast.path,
			file: null,
			state: info.state,
			end: null,
			startedAt: info.startedAt,
			endedAt: null,
			durationS: 0,
			bytes: 0,
			error: null,
		};
		const take: Take = { rule, recordingId: info.id, originId: rule.originId, path: broadcast.path, entry, parts };
		this.#takes.set(key(take.originId, take.path), take);
		this.#byRecording.set(info.id, take);
		rule.recordings.unshift(entry);
		rule.recordings.splice(AUTO_RECORD_HISTORY);
		this.#deps.log.info(`auto-record ${describe(rule)}: recording ${broadcast.path}${announced ? " from its first group" : ""}`);
		// A broadcast gone before the recording took it (a very short one) would leave the recording
		// waiting for an instance that may never come: stop it.
		void broadcast.done.then(() =>
			setTimeout(() => {
				if (parts.size === 0 && this.#byRecording.get(info.id) === take) void this.#stopTake(take);
			}, 0),
		);
		this.#changed();
	}

	#failed(rule: Rule, error: StudioError): void {
		rule.error = error.toInfo();
		this.#deps.log.warn(`auto-record ${describe(rule)}: ${error.message}`);
		this.#changed();
	}

	#progress(info: RecordingInfo): void {
		const take = this.#byRecording.get(info.id);
		if (!take) return;
		this.#apply(take, info);
	}

	#apply(take: Take, info: RecordingInfo): void {
		const { entry, rule } = take;
		const news = entry.state !== info.state || entry.file !== info.file;
		if (entry.file === null && info.file !== null) rule.recorded++;
		Object.assign(entry, { file: info.file, state: info.state, end: info.end, endedAt: info.endedAt, durationS: info.durationS, bytes: info.bytes, error: info.error });
		if (info.state !== "finished" && info.state !== "failed") {
			this.#changed(news);
			return;
		}
		this.#takes.delete(key(take.originId, take.path));
		this.#byRecording.delete(info.id);
		// Nothing was written (the broadcast vanished first): not worth listing.
		const at = rule.recordings.indexOf(entry);
		if (info.file === null && info.state === "finished" && at >= 0) rule.recordings.splice(at, 1);
		this.#changed();
		if (info.end !== "ended" || this.#closed || !this.#rules.has(rule.id)) return;
		// Announced again while this recording drained its end: that instance is a new broadcast.
		let current: OriginBroadcast | undefined;
		try {
			current = this.#deps.origins.broadcast(take.originId, take.path);
		} catch {
			return; // the origin is gone
		}
		if (!current || current.ended || take.parts.has(current) || this.#takes.has(key(take.originId, take.path))) return;
		const next = this.#ruleFor(take.originId, take.path);
		if (next) this.#start(next, current, true);
	}

	async #stopTake(take: Take): Promise<void> {
		try {
			const info = await this.#deps.recordings.stop(take.recordingId);
			if (this.#byRecording.get(take.recordingId) === take) this.#apply(take, info);
		} catch (err) {
			this.#deps.log.warn(`auto-record: stopping ${take.path} failed: ${(err as Error).message}`);
		} finally {
			this.#takes.delete(key(take.originId, take.path));
			this.#byRecording.delete(take.recordingId);
		}
	}

	async #remove(rule: Rule): Promise<void> {
		if (!this.#rules.delete(rule.id)) return;
		const running = [...this.#takes.values()].filter((t) => t.rule === rule);
		this.#changed();
		await Promise.all(running.map((t) => this.#stopTake(t)));
		// Another rule that matches those broadcasts records them from here on.
		if (this.#closed) return;
		for (const other of this.#rules.values()) if (other.originId === rule.originId && this.#deps.origins.has(other.originId)) this.#scan(other);
	}

	#model(r: Rule): AutoRecordRule {
		let originName: string | null = null;
		try {
			originName = this.#deps.origins.has(r.originId) ? this.#deps.origins.get(r.originId).name : null;
		} catch {
			originName = null;
		}
		return {
			id: r.id,
			originId: r.originId,
			originName,
			prefix: r.prefix,
			format: r.format,
			createdAt: r.createdAt,
			recorded: r.recorded,
			recordings: r.recordings.map((e) => ({ ...e, error: e.error ? { ...e.error } : null })),
			error: r.error,
		};
	}

	#changed(save = true): void {
		for (const l of [...this.#listeners]) {
			try {
				l(save);
			} catch {
				// One broken listener (a host going away) must not stop the others.
			}
		}
	}
}

function describe(rule: Rule): string {
	return rule.prefix === "" ? "every broadcast" : `prefix ${JSON.stringify(rule.prefix)}`;
}
