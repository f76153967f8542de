/**
 * Publishing media as hang broadcasts: a low-level publisher for encoded chunks (shared with Go
 * Live) and a file publisher that demuxes MP4/MKV/WebM and paces packets at their original timing.
 */
export * from "./file-source";
export * from "./hang-publisher";
export * from "./publish-file";
