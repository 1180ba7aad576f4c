// Extracts the npm-shipped Chromium once, before any test file runs: test files that start a browser
// at the same moment would otherwise race to write the same binary.
module.exports = async () => {
  await require('@sparticuz/chromium').executablePath();
};
