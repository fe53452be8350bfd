// Command sim runs the scale model of testnet/sim (docs/PERFORMANCE.md,
// "Scale model"):
//
//	go run ./testnet/cmd/sim measure [-n 200] [-o hops.txt]
//	go run ./testnet/cmd/sim scale [-sizes 100,1000,10000] [-rtt 100ms] [-runs 200] ...
//	go run ./testnet/cmd/sim calibrate [-n 20] [-latency] ...
//
// measure times one DHT hop and one new connection on real libp2p hosts
// in this process; scale runs the model at wide-area RTT for each size;
// calibrate runs it as the latency command's swarm runs on this machine
// (loopback, the measured costs, every daemon on the machine's cores)
// and compares it with the latency command's figures.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "measure":
		err = measureCmd(os.Args[2:])
	case "scale":
		err = scaleCmd(os.Args[2:])
	case "calibrate":
		err = calibrateCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sim:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: sim measure|scale|calibrate [flags] (sim CMD -h lists them)")
	os.Exit(2)
}
