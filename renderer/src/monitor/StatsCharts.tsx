/**
 * The live graphs of a monitor (last 60 s): uPlot on canvas, fed from the monitor's ring
 * buffers whenever a sample lands (about 2 Hz), outside React. Each chart's container carries
 * `data-points` (samples drawn) for tests and debugging.
 */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { SeriesKey, StatsHistory } from "./stats";

/** One chart: a title, a unit and the series it draws. */
interface ChartSpec {
	title: string;
	unit: string;
	series: { key: SeriesKey; label: string; colour: string }[];
}

const CHARTS: ChartSpec[] = [
	{
		title: "Bitrate",
		unit: "kb/s",
		series: [
			{ key: "videoKbps", label: "video", colour: "--accent" },
			{ key: "audioKbps", label: "audio", colour: "--ok" },
		],
	},
	{ title: "Frame rate", unit: "fps", series: [{ key: "fps", label: "fps", colour: "--accent" }] },
	{
		title: "Delay",
		unit: "ms",
		series: [
			{ key: "latencyMs", label: "latency", colour: "--accent" },
			{ key: "jitterMs", label: "jitter", colour: "--warn" },
			{ key: "paintDelayMs", label: "to paint", colour: "--ok" },
			{ key: "videoBufferedMs", label: "video buffered", colour: "--muted" },
			{ key: "audioBufferedMs", label: "audio buffered", colour: "--bad" },
		],
	},
];

function Chart({ spec, history }: { spec: ChartSpec; history: StatsHistory }) {
	const ref = useRef<HTMLDivElement>(null);
	useEffect(() => {
		const el = ref.current;
		if (!el) return;
		const styles = getComputedStyle(el);
		const css = (name: string) => styles.getPropertyValue(name).trim() || "#888";
		const axis = { stroke: css("--muted"), grid: { stroke: css("--border"), width: 1 }, ticks: { stroke: css("--border"), width: 1 } };
		const keys = spec.series.map((s) => s.key);
		const plot = new uPlot(
			{
				width: Math.max(200, el.clientWidth),
				height: 150,
				scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] } },
				axes: [axis, { ...axis, size: 48, label: spec.unit, labelSize: 14 }],
				series: [{}, ...spec.series.map((s) => ({ label: s.label, stroke: css(s.colour), width: 1.5, spanGaps: false }))],
				legend: { live: false },
				cursor: { show: false },
			},
			history.columns(keys),
			el,
		);
		const update = () => {
			const data = history.columns(keys);
			plot.setData(data);
			el.dataset.points = String(data[0].length);
		};
		update();
		const unsubscribe = history.subscribe(update);
		const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: 150 }));
		resize.observe(el);
		return () => {
			unsubscribe();
			resize.disconnect();
			plot.destroy();
		};
	}, [spec, history]);
	return (
		<figure className="monitor-chart">
			<figcaption>{spec.title}</figcaption>
			<div ref={ref} data-testid={`chart-${spec.title.toLowerCase().replace(/\s+/g, "-")}`} data-points="0" />
		</figure>
	);
}

/** The graphs of one monitor. */
export function StatsCharts({ history }: { history: StatsHistory }) {
	return (
		<div className="monitor-charts">
			{CHARTS.map((spec) => (
				<Chart key={spec.title} spec={spec} history={history} />
			))}
		</div>
	);
}
