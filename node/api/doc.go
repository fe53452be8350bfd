// Package api is the contract of the daemon's HTTP API (/v1/...): the
// request and response bodies, the error kinds and the HTTP statuses they
// travel as, and the Client that speaks it. The server (package
// node/apiserver), the client and the CLI all use these types, so each
// shape on the wire is declared once, and every type that writes itself
// reads itself back.
//
// The field names are a public contract: the CLI prints responses as they
// come (with --json), README.md and SPEC.md §6 list them, and end-to-end
// tests read them.
//
// Package api imports protocol alone. It never imports store or node, never
// touches a repo directory, and never opens a connection but the HTTP
// requests a Client is asked to make.
package api
