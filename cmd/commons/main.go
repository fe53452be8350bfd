// Command commons is the command-line tool of a commons node: `commons
// daemon` runs the node, and every other command is a thin client of the
// daemon's HTTP API, found through the repo directory.
//
// It never decides what the daemon decides: it hashes the files it is given
// (node/hashtree), sends requests of node/api's contract, and prints the
// answers, escaping every text that others wrote before it reaches the
// terminal.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(NewMain().Run(context.Background(), os.Args[1:]))
}
