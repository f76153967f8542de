/** The product's name as users see it. */
export const APP_NAME = "MoQ Studio";
/** The product version; kept equal to package.json's by a test. */
export const APP_VERSION = "0.1.0";
