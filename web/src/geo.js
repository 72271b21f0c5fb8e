// proj4 and TopoJSON helpers, bundled as one ES module by build.mjs.
export { default as proj4 } from "proj4";
export { feature, mesh } from "topojson-client";
