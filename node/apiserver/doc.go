// Package apiserver serves the daemon's HTTP API (/v1/..., SPEC.md §6.2)
// over a Service, the node's operations in the types of package api: the
// routes, the guard that decides whether a request may speak for the node
// (bearer token, other origins, loopback hosts), the server's timeouts and
// the allowance of a read that searches the network, strict decoding of
// request bodies, the streamed bulk upload, and the answer of every
// refusal.
//
// The node builds the server over itself (node.Handler): it passes the
// Service, the handler of /metrics, and the hooks through which each
// route's requests are counted; the daemon serves it with NewServer.
//
// This package never touches the store or the network, never imports node,
// store, node/swarm or libp2p, and never decides what an operation means:
// it reads a request, calls the Service, and writes the answer. Every
// refusal it answers goes out with the status that api.StatusOf gives its
// error's kind, in an api.ErrorBody.
package apiserver
