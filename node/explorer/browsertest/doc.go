// Package browsertest drives Debian's headless Chromium through the
// explorer with puppeteer-core: the lineage graph alone on a page of 500
// nodes, then the pages of a real node holding the README walkthrough's
// data. The Node.js scripts beside this file do the driving; the Go tests
// start the servers, run the scripts and fail when a script does.
// `.ci/setup` installs chromium, node and the npm packages (npm ci here);
// without them the tests skip and say which is missing.
package browsertest
