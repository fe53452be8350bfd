// Package testnet runs swarms of real commons daemons on loopback, for
// tests, measurements and people. Up builds the binary once, inits N
// repos with free ports, writes a genesis naming the first stewards, and
// starts the daemons, each joining through the one before it; Swarm.Node
// gives a node's CLI (`commons ARGS --repo REPO`, with its stdout, stderr
// and exit code) and its API client (api.Client, whose answers are the
// node package's API types), and stops, kills and starts it again. UpTest
// is Up for a test. Start is one daemon of a test on a repo of its own,
// outside any swarm, with the flags the test gives, and Run, RunJSON and
// RunFails run the CLI once, with stdin and environment, for the
// cmd/commons end-to-end tests. The scenarios that `go test ./testnet` runs are in
// scenarios_test.go and keys_test.go; cmd/ holds the swarm command for
// people (testnet/swarm wraps it) and the measurements latency,
// gov-latency, rss and idle-rss. README.md says how to use them.
//
// It never touches anything outside the directories it is given, never
// reads the user's own repo (the daemons and the CLI run with HOME in the
// swarm's directory and no COMMONS_PATH), and signals only the processes
// whose command line names a repo of its swarm.
package testnet
