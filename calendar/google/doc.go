// Package google is the Google Workspace calendar source: OAuth and service
// account credentials, incremental sync with push channels, retries with
// backoff, and one notes doc per series in Google Docs, shared through Drive
// and attached to the series' event. Its fake server, for tests, is
// googlefake.
package google
