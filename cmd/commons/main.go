// Command commons is the command-line tool of a commons node: `commons
// daemon` runs the node, and every other command is a thin client of the
// daemon's HTTP API, found through the repo directory.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(NewMain().Run(context.Background(), os.Args[1:]))
}
