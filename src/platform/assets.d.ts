/** Files the browser bundler embeds as bytes (scripts/build-browser.js: the `binary` loader). */
declare module '*.wasm' {
  const bytes: Uint8Array;
  export default bytes;
}
declare module '*.gz' {
  const bytes: Uint8Array;
  export default bytes;
}
