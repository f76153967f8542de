/** Vite's `?worker&url` import: the URL of the module bundled as a separate script (used for the audio worklet). */
declare module "*?worker&url" {
	const url: string;
	export default url;
}
