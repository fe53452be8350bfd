// Package testnet holds the scripts that run swarms of real commons daemons
// on loopback (swarm, node), the scenarios that check a swarm end to end
// (scenarios/), and measurements (latency, gov-latency, rss, idle-rss);
// README.md says how to use them. Its Go is the test that runs the
// scenarios, so that `go test ./...` exercises the real binary and the
// scripts together, and cmd/govlatency, which gov-latency runs to poll many
// daemons' APIs at once. The scripts never touch anything outside the
// directories they are given.
package testnet
