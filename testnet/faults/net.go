package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Prefix begins the name of every network namespace a run makes:
// PREFIX-PID-br (the bridge's) and PREFIX-PID-K (node K's), so that a
// later run finds what a killed run left (Stale) and only that.
const Prefix = "cfault"

// Subnet is the private range of the nodes' addresses (node K's is
// IP(K)); it exists inside the run's namespaces alone, and the host's own
// namespace never sees it.
const Subnet = "10.77.0.0/16"

// Net is a run's network: a bridge in a namespace of its own and, for
// each node, a namespace joined to the bridge by a veth pair. Nothing of
// it lives in the host's root namespace.
type Net struct {
	Tag string // PREFIX-PID
	N   int
	// Wire is "veth" (veth pairs to a bridge, links shaped by tc netem)
	// or "tun" (a shaped run on a kernel without netem: the harness
	// carries the packets, see tun.go).
	Wire  string
	mu    sync.Mutex
	links []Link // each node's link, as last set
	wire  *wire
}

// Link is the shaping of one node's link to the bridge, applied to what
// leaves the node (tc netem on its eth0). Each direction crosses the
// sender's netem only, so the round trip between two nodes of Delay d is
// 2d, and a packet is lost with the probability Loss on each way.
type Link struct {
	Delay  float64 // milliseconds, one way
	Jitter float64 // milliseconds
	Loss   float64 // percent
}

// Check says why this machine cannot run a testbed: not root, or
// iproute2's ip and tc or nftables' nft missing. nil: it can.
func Check() error {
	if os.Geteuid() != 0 {
		return errors.New("faults: network namespaces need root (this runs as uid " + strconv.Itoa(os.Geteuid()) + ")")
	}
	var missing []string
	for _, t := range []string{"ip", "tc", "nft"} {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("faults: %s missing (iproute2 and nftables: apt-get install iproute2 nftables)", strings.Join(missing, ", "))
	}
	return nil
}

// NS is node k's namespace.
func (nt *Net) NS(k int) string { return fmt.Sprintf("%s-%d", nt.Tag, k) }

func (nt *Net) bridgeNS() string { return nt.Tag + "-br" }

// IP is node k's address.
func IP(k int) string { return fmt.Sprintf("10.77.%d.%d", k/250, k%250+1) }

// Setup makes the namespaces: first whatever a dead run left (Stale),
// then the bridge's and n nodes', each with loopback up and eth0 at IP(k)
// on the bridge. When the links will be shaped and the kernel has no
// netem, each node gets a TUN device at IP(k) instead, whose packets the
// harness carries. On error what it made is removed.
func Setup(ctx context.Context, n int, shaped bool) (*Net, error) {
	if err := Check(); err != nil {
		return nil, err
	}
	Stale()
	nt := &Net{Tag: fmt.Sprintf("%s-%d", Prefix, os.Getpid()), N: n, Wire: "veth", links: make([]Link, n+1)}
	if err := nt.setup(ctx, shaped); err != nil {
		nt.Teardown()
		return nil, err
	}
	return nt, nil
}

func (nt *Net) setup(ctx context.Context, shaped bool) error {
	br := nt.bridgeNS()
	steps := [][]string{
		{"netns", "add", br},
		{"-n", br, "link", "set", "lo", "up"},
		{"-n", br, "link", "add", "br0", "type", "bridge"},
		{"-n", br, "link", "set", "br0", "up"},
	}
	for _, s := range steps {
		if err := run(ctx, "ip", s...); err != nil {
			return err
		}
	}
	if shaped && !netemAvailable(ctx, br) {
		return nt.setupTun(ctx)
	}
	for k := 1; k <= nt.N; k++ {
		ns, v := nt.NS(k), "v"+strconv.Itoa(k)
		steps := [][]string{
			{"netns", "add", ns},
			{"-n", ns, "link", "set", "lo", "up"},
			// Made inside the bridge's namespace, its other end moved
			// straight into the node's: never in the root namespace.
			{"-n", br, "link", "add", v, "type", "veth", "peer", "name", "eth0", "netns", ns},
			{"-n", br, "link", "set", v, "master", "br0"},
			{"-n", br, "link", "set", v, "up"},
			{"-n", ns, "addr", "add", IP(k) + "/16", "dev", "eth0"},
			{"-n", ns, "link", "set", "eth0", "up"},
		}
		for _, s := range steps {
			if err := run(ctx, "ip", s...); err != nil {
				return err
			}
		}
	}
	return nil
}

// Teardown removes every namespace of the run; deleting a namespace
// deletes its veth ends and the bridge with it. The daemons must have
// exited (a namespace lives while a process is in it).
func (nt *Net) Teardown() error {
	if nt.wire != nil {
		nt.wire.stop()
	}
	var errs []error
	for k := 1; k <= nt.N; k++ {
		if err := delNS(nt.NS(k)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := delNS(nt.bridgeNS()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func delNS(name string) error {
	if _, err := os.Stat("/run/netns/" + name); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return run(context.Background(), "ip", "netns", "del", name)
}

// tmpPrefix begins the name of a cluster's temporary directory:
// TMP/PREFIX-PID-RANDOM.
const tmpPrefix = "commons-faults"

// Stale removes the namespaces of runs whose process no longer lives
// (PREFIX-PID-…, PID gone), after killing what still runs inside them,
// and those runs' temporary directories.
func Stale() []string {
	var removed []string
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tmpPrefix+"-*-*"))
	for _, d := range dirs {
		if dead(strings.TrimPrefix(filepath.Base(d), tmpPrefix+"-")) {
			os.RemoveAll(d)
			removed = append(removed, d)
		}
	}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), Prefix+"-")
		if !ok || !dead(rest) {
			continue
		}
		if out, err := exec.Command("ip", "netns", "pids", e.Name()).Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if p, err := strconv.Atoi(f); err == nil {
					syscall.Kill(p, syscall.SIGKILL)
				}
			}
		}
		if delNS(e.Name()) == nil {
			removed = append(removed, e.Name())
		}
	}
	return removed
}

// dead says whether the run named by "PID-…" no longer lives.
func dead(pidAndRest string) bool {
	pidText, _, _ := strings.Cut(pidAndRest, "-")
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid == os.Getpid() {
		return false
	}
	if syscall.Kill(pid, 0) == nil {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(b) > 0 {
			return false
		}
	}
	return true
}

// Shape sets node k's link (tc netem on its eth0); the zero Link removes
// any shaping.
func (nt *Net) Shape(ctx context.Context, k int, l Link) error {
	ns := nt.NS(k)
	nt.mu.Lock()
	nt.links[k] = l
	nt.mu.Unlock()
	if nt.Wire == "tun" {
		return nil // the carrier reads links[k] for every packet
	}
	run(ctx, "ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "eth0", "root")
	if l == (Link{}) {
		return nil
	}
	args := []string{"netns", "exec", ns, "tc", "qdisc", "add", "dev", "eth0", "root", "netem",
		"delay", ms(l.Delay)}
	if l.Jitter > 0 {
		args = append(args, ms(l.Jitter), "distribution", "normal")
	}
	if l.Loss > 0 {
		args = append(args, "loss", strconv.FormatFloat(l.Loss, 'f', -1, 64)+"%")
	}
	// A queue long enough for the delay at full speed: netem's default
	// of 1000 packets drops under load at 100 ms.
	args = append(args, "limit", "100000")
	return run(ctx, "ip", args...)
}

func (nt *Net) setupTun(ctx context.Context) error {
	nt.Wire = "tun"
	w := &wire{tuns: map[[4]byte]*os.File{}, byK: map[[4]byte]int{}, links: func(k int) Link {
		nt.mu.Lock()
		defer nt.mu.Unlock()
		return nt.links[k]
	}}
	nt.wire = w
	for k := 1; k <= nt.N; k++ {
		ns := nt.NS(k)
		if err := run(ctx, "ip", "netns", "add", ns); err != nil {
			return err
		}
		if err := run(ctx, "ip", "-n", ns, "link", "set", "lo", "up"); err != nil {
			return err
		}
		f, err := openTun(ns)
		if err != nil {
			return fmt.Errorf("node %d: %w", k, err)
		}
		w.files = append(w.files, f)
		w.tuns[addr4(IP(k))], w.byK[addr4(IP(k))] = f, k
		for _, s := range [][]string{
			{"-n", ns, "addr", "add", IP(k) + "/16", "dev", "tun0"},
			{"-n", ns, "link", "set", "tun0", "up"},
		} {
			if err := run(ctx, "ip", s...); err != nil {
				return err
			}
		}
	}
	w.start()
	return nil
}

// ShapeAll sets every node's link.
func (nt *Net) ShapeAll(ctx context.Context, l Link) error {
	for k := 1; k <= nt.N; k++ {
		if err := nt.Shape(ctx, k, l); err != nil {
			return err
		}
	}
	return nil
}

func ms(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + "ms" }

// Partition cuts the network into groups: a node reaches only the nodes
// of its own group, by nftables rules in each node's namespace dropping
// what comes from or goes to the others (table inet commons_faults).
// A node in no group keeps reaching everyone, as a bridge node between
// the groups does. Established connections are cut too, as a cable is.
func (nt *Net) Partition(ctx context.Context, groups ...[]int) error {
	if err := nt.Heal(ctx); err != nil {
		return err
	}
	group := map[int]int{}
	for g, ks := range groups {
		for _, k := range ks {
			group[k] = g + 1
		}
	}
	for k := 1; k <= nt.N; k++ {
		g := group[k]
		if g == 0 {
			continue
		}
		var others []string
		for j := 1; j <= nt.N; j++ {
			if group[j] != 0 && group[j] != g {
				others = append(others, IP(j))
			}
		}
		if len(others) == 0 {
			continue
		}
		set := "{ " + strings.Join(others, ", ") + " }"
		rules := "table inet commons_faults {\n" +
			" chain in { type filter hook input priority 0; ip saddr " + set + " drop; }\n" +
			" chain out { type filter hook output priority 0; ip daddr " + set + " drop; }\n}\n"
		if err := nft(ctx, nt.NS(k), rules); err != nil {
			return err
		}
	}
	return nil
}

// Isolate cuts node k off from every other node.
func (nt *Net) Isolate(ctx context.Context, k int) error {
	var rest []int
	for j := 1; j <= nt.N; j++ {
		if j != k {
			rest = append(rest, j)
		}
	}
	return nt.Partition(ctx, []int{k}, rest)
}

// Heal removes every partition rule, in every namespace at once.
func (nt *Net) Heal(ctx context.Context) error {
	errs := make([]error, nt.N+1)
	var wg sync.WaitGroup
	for k := 1; k <= nt.N; k++ {
		wg.Go(func() {
			out, err := exec.CommandContext(ctx, "ip", "netns", "exec", nt.NS(k), "nft", "list", "tables").Output()
			if err != nil {
				errs[k] = fmt.Errorf("nft list tables in %s: %w", nt.NS(k), err)
				return
			}
			if bytes.Contains(out, []byte("commons_faults")) {
				errs[k] = run(ctx, "ip", "netns", "exec", nt.NS(k), "nft", "delete", "table", "inet", "commons_faults")
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func nft(ctx context.Context, ns, rules string) error {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft in %s: %v: %s", ns, err, out)
	}
	return nil
}

func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Dialer dials from inside the namespace ns: on a thread of its own, it
// enters ns, opens the socket, and goes back. A socket keeps the
// namespace it was made in, so the connection lives there whatever
// thread reads it. This is how the harness reaches an API that listens on
// loopback inside a node's namespace, without a process per call and
// without an address reachable from outside.
func Dialer(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	path := "/run/netns/" + ns
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			c, err, back := dialIn(ctx, path, network, addr)
			if back {
				runtime.UnlockOSThread()
			} // else the thread stays locked and dies with the goroutine
			ch <- result{c, err}
		}()
		r := <-ch
		return r.c, r.err
	}
}

func dialIn(ctx context.Context, path, network, addr string) (net.Conn, error, bool) {
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, err, true
	}
	defer self.Close()
	target, err := os.Open(path)
	if err != nil {
		return nil, err, true
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("setns %s: %w", path, err), true
	}
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	back := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil
	return c, err, back
}
