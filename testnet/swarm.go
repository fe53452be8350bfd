package testnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/commons-p2p/commons/node/api"
	"github.com/commons-p2p/commons/node/repo"
	"github.com/commons-p2p/commons/protocol"
)

// Options shape a swarm. The zero value is a line of nodes, the first
// min(N, 3) of them stewards, gossip on, no swarm key.
type Options struct {
	// Dir holds the swarm; it must not hold one yet. Empty: a new
	// temporary directory (t.TempDir() under UpTest).
	Dir string
	// Bin is a commons binary to copy; empty: Build's.
	Bin string
	// Stewards is how many of the first nodes the genesis names as
	// stewards (threshold a majority, K/2+1); 0 means min(N, 3).
	Stewards int
	// Star makes every node join through node 1 instead of through its
	// predecessor.
	Star bool
	// SwarmKey makes a private network: every node holds one swarm key.
	SwarmKey bool
	// NoGossip sets "gossip": false in every node's config: new objects
	// travel by the DHT alone.
	NoGossip bool
	// Genesis is the file of an existing genesis to join instead of
	// writing one.
	Genesis string
	// Name is the commons' name in the genesis.
	Name string
	// Bootstrap are peers node 1 joins through (e.g. another swarm's
	// node 1 address).
	Bootstrap []string
	// Detach starts the daemons in process groups of their own, so that
	// they outlive the program that started them (the swarm command).
	Detach bool
	// Log receives a line for each step; nil: none.
	Log io.Writer
}

// Swarm is a set of commons daemons on loopback sharing one genesis. Its
// directory holds:
//
//	DIR/bin/commons     the binary
//	DIR/genesis.json    the genesis every node joins
//	DIR/swarm.key       the pre-shared key, with Options.SwarmKey
//	DIR/swarm.json      the swarm's shape and each node's ports
//	DIR/nodeK/          node K's repo, and beside its own files
//	  daemon.log        the daemon's output, appended at every start
//	  daemon.pid        the daemon's PID while it runs
type Swarm struct {
	Dir   string
	Bin   string
	Nodes []*Node // Nodes[0] is node 1
	state swarmState
	log   io.Writer
}

// swarmState is DIR/swarm.json: what Open needs to take a swarm up again.
type swarmState struct {
	N         int         `json:"n"`
	Stewards  int         `json:"stewards"` // 0 with an existing genesis
	Star      bool        `json:"star"`
	SwarmKey  bool        `json:"swarm_key"`
	Gossip    bool        `json:"gossip"`
	Bootstrap []string    `json:"bootstrap,omitempty"` // node 1's
	Detach    bool        `json:"detach"`
	Nodes     []nodeState `json:"nodes"`
}

type nodeState struct {
	API    int          `json:"api"`
	P2P    int          `json:"p2p"`
	DID    protocol.DID `json:"did"`
	PeerID string       `json:"peer_id"`
}

// Up builds (or copies) the binary, inits n repos with free loopback
// ports, writes a genesis naming the first Options.Stewards nodes, starts
// every daemon, one at a time, each joining through the one before it,
// and waits until each answers and has a peer. On error the daemons it
// started are stopped.
func Up(ctx context.Context, n int, opts Options) (*Swarm, error) {
	if n < 1 {
		return nil, fmt.Errorf("testnet: a swarm needs at least one node, not %d", n)
	}
	stewards := opts.Stewards
	if stewards == 0 {
		stewards = min(n, 3)
	}
	if opts.Genesis != "" {
		stewards = 0
	} else if stewards < 1 || stewards > n {
		return nil, fmt.Errorf("testnet: stewards must be from 1 to %d, not %d", n, stewards)
	}
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "commons-swarm-")
		if err != nil {
			return nil, err
		}
		dir = d
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
		return nil, fmt.Errorf("testnet: %s already holds a swarm", dir)
	}
	s := &Swarm{Dir: dir, Bin: filepath.Join(dir, "bin", "commons"), log: opts.Log}
	s.state = swarmState{N: n, Stewards: stewards, Star: opts.Star, SwarmKey: opts.SwarmKey, Gossip: !opts.NoGossip, Bootstrap: opts.Bootstrap, Detach: opts.Detach}
	t0 := time.Now()
	src := opts.Bin
	if src == "" {
		if src, err = Build(ctx); err != nil {
			return nil, err
		}
	}
	if err := copyFile(src, s.Bin, 0o755); err != nil {
		return nil, fmt.Errorf("testnet: copy the binary: %w", err)
	}
	if opts.SwarmKey {
		if r := s.run(ctx, "swarm", "key", "new", "--out", s.swarmKeyPath()); r.Code != 0 {
			return nil, fmt.Errorf("testnet: swarm key new: %s", r)
		}
	}
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	for k := 1; k <= n; k++ {
		nd := &Node{K: k, Repo: filepath.Join(dir, fmt.Sprintf("node%d", k)), APIPort: ports[2*k-2], P2PPort: ports[2*k-1], swarm: s}
		args := []string{"--repo", nd.Repo, "init", "--json", "--api", nd.apiAddr(), "--listen", nd.listenAddr()}
		if opts.SwarmKey {
			args = append(args, "--swarm-key", s.swarmKeyPath())
		}
		var id api.IDInfo
		if err := s.runJSON(ctx, &id, args...); err != nil {
			return nil, fmt.Errorf("testnet: init of node %d: %w", k, err)
		}
		nd.DID, nd.PeerID = id.DID, id.PeerID
		if opts.NoGossip {
			if err := setGossip(nd.Repo, false); err != nil {
				return nil, err
			}
		}
		s.Nodes = append(s.Nodes, nd)
	}
	if opts.Genesis != "" {
		if err := copyFile(opts.Genesis, s.GenesisPath(), 0o644); err != nil {
			return nil, fmt.Errorf("testnet: copy the genesis: %w", err)
		}
	} else {
		name := opts.Name
		if name == "" {
			name = fmt.Sprintf("testnet of %d nodes %s", n, time.Now().UTC().Format(time.RFC3339))
		}
		args := []string{"genesis", "new", "--name", name, "--threshold", strconv.Itoa(stewards/2 + 1), "--out", s.GenesisPath()}
		for _, nd := range s.Nodes[:stewards] {
			args = append(args, "--steward", nd.DID.String())
		}
		if r := s.run(ctx, args...); r.Code != 0 {
			return nil, fmt.Errorf("testnet: genesis new: %s", r)
		}
	}
	if err := s.save(); err != nil {
		return nil, err
	}
	s.logf("%d repos in %s after %s; starting the daemons", n, dir, since(t0))
	// One at a time, each once its bootstrap peer listens: a daemon whose
	// bootstrap dial fails retries only while its routing table is empty.
	for _, nd := range s.Nodes {
		if err := nd.start(ctx, false); err != nil {
			s.Down()
			return nil, err
		}
	}
	if n > 1 {
		for _, nd := range s.Nodes {
			if err := nd.WaitPeers(ctx, 30*time.Second); err != nil {
				s.Down()
				return nil, err
			}
		}
	}
	s.logf("%d nodes up in %s", n, since(t0))
	return s, nil
}

// Open takes up the swarm in dir, made by Up in this process or another:
// its nodes can be started, stopped and asked as those of Up.
func Open(dir string) (*Swarm, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("testnet: %s holds no swarm (make one with: swarm up N --dir %s)", dir, dir)
	}
	if err != nil {
		return nil, err
	}
	s := &Swarm{Dir: dir, Bin: filepath.Join(dir, "bin", "commons")}
	if err := json.Unmarshal(b, &s.state); err != nil {
		return nil, fmt.Errorf("testnet: %s: %w", filepath.Join(dir, stateFile), err)
	}
	for i, ns := range s.state.Nodes {
		s.Nodes = append(s.Nodes, &Node{K: i + 1, Repo: filepath.Join(dir, fmt.Sprintf("node%d", i+1)), APIPort: ns.API, P2PPort: ns.P2P, DID: ns.DID, PeerID: ns.PeerID, swarm: s})
	}
	return s, nil
}

// SetLog sends a line for each step to w (nil: none).
func (s *Swarm) SetLog(w io.Writer) { s.log = w }

const stateFile = "swarm.json"

func (s *Swarm) save() error {
	s.state.Nodes = s.state.Nodes[:0]
	for _, nd := range s.Nodes {
		s.state.Nodes = append(s.state.Nodes, nodeState{API: nd.APIPort, P2P: nd.P2PPort, DID: nd.DID, PeerID: nd.PeerID})
	}
	b, err := json.MarshalIndent(s.state, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.Dir, stateFile), append(b, '\n'), 0o644)
}

// N is how many nodes the swarm has.
func (s *Swarm) N() int { return len(s.Nodes) }

// Node returns node k, counted from 1 as the nodes' directories are.
func (s *Swarm) Node(k int) *Node {
	if k < 1 || k > len(s.Nodes) {
		panic(fmt.Sprintf("testnet: no node %d in a swarm of %d", k, len(s.Nodes)))
	}
	return s.Nodes[k-1]
}

// GenesisPath is the genesis file every node joins.
func (s *Swarm) GenesisPath() string { return filepath.Join(s.Dir, "genesis.json") }

func (s *Swarm) swarmKeyPath() string { return filepath.Join(s.Dir, "swarm.key") }

// Stewards is how many of the first nodes are the genesis' stewards (0
// when the swarm joined an existing genesis).
func (s *Swarm) Stewards() int { return s.state.Stewards }

// Gossip says whether the nodes announce by gossip.
func (s *Swarm) Gossip() bool { return s.state.Gossip }

// Down stops every running daemon (SIGTERM, then SIGKILL after the
// grace). The repos stay; Start brings nodes back.
func (s *Swarm) Down() error {
	var errs []error
	for _, nd := range s.Nodes {
		if err := nd.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Remove stops every daemon and removes what Up made in the directory,
// and the directory when nothing else is left in it.
func (s *Swarm) Remove() error {
	err := s.Down()
	for _, nd := range s.Nodes {
		os.RemoveAll(nd.Repo)
	}
	os.RemoveAll(filepath.Join(s.Dir, "bin"))
	os.RemoveAll(filepath.Join(s.Dir, "home"))
	for _, f := range []string{"genesis.json", "swarm.key", stateFile} {
		os.Remove(filepath.Join(s.Dir, f))
	}
	os.Remove(s.Dir)
	return err
}

func (s *Swarm) logf(format string, args ...any) {
	if s.log != nil {
		fmt.Fprintf(s.log, "testnet: "+format+"\n", args...)
	}
}

// Result is what one run of the CLI gave.
type Result struct {
	Args           []string
	Stdout, Stderr string
	Code           int // the exit code; -1 when it could not run
}

func (r Result) String() string {
	return fmt.Sprintf("commons %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(r.Args, " "), r.Code, r.Stdout, r.Stderr)
}

// JSON decodes the run's stdout, which must be one JSON document, into v;
// an error, with the run, when the command failed or printed anything else.
func (r Result) JSON(v any) error {
	if r.Code != 0 {
		return errors.New(r.String())
	}
	dec := json.NewDecoder(strings.NewReader(r.Stdout))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("stdout is not JSON: %v\n%s", err, r)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("stdout holds more than one JSON document\n%s", r)
	}
	return nil
}

// run runs the swarm's binary, with HOME in the swarm's directory and no
// COMMONS_PATH, so that nothing reaches the user's own repo.
func (s *Swarm) run(ctx context.Context, args ...string) Result {
	return s.runIn(ctx, nil, args...)
}

func (s *Swarm) runIn(ctx context.Context, stdin io.Reader, args ...string) Result {
	cmd := exec.CommandContext(ctx, s.Bin, args...)
	cmd.Env = s.env()
	cmd.Stdin = stdin
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Args: args, Stdout: stdout.String(), Stderr: stderr.String(), Code: -1}
	if cmd.ProcessState != nil {
		r.Code = cmd.ProcessState.ExitCode()
	}
	if err != nil && r.Code == -1 {
		r.Stderr += err.Error()
	}
	return r
}

func (s *Swarm) runJSON(ctx context.Context, v any, args ...string) error {
	return s.run(ctx, args...).JSON(v)
}

func (s *Swarm) env() []string { return homeEnv(filepath.Join(s.Dir, "home")) }

// homeEnv is the process's environment without COMMONS_PATH, and with
// HOME set to home.
func homeEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, repo.EnvPath+"=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home)
}

// freePorts returns count TCP ports that nothing listens on, on
// 127.0.0.1, scanning up from a random base between 20000 and 30000:
// below the kernel's range for outgoing connections, so that these do not
// take them meanwhile. Each node keeps its ports for good, so a restarted
// node is where its peers last saw it.
func freePorts(count int) ([]int, error) {
	var ports []int
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for p := 20000 + rand.IntN(10000); len(ports) < count; p++ {
		if p >= 32768 {
			return nil, fmt.Errorf("testnet: no %d free ports below 32768", count)
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		held = append(held, l)
		ports = append(ports, p)
	}
	return ports, nil
}

// setGossip writes "gossip" into a repo's config.
func setGossip(dir string, on bool) error {
	path := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var c repo.Config
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("testnet: %s: %w", path, err)
	}
	c.Gossip = &on
	out, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o600)
}

func copyFile(from, to string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }

// Star says whether every node joined through node 1.
func (s *Swarm) Star() bool { return s.state.Star }

// Private says whether the nodes hold a swarm key.
func (s *Swarm) Private() bool { return s.state.SwarmKey }
