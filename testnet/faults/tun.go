package faults

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// A kernel without netem (CONFIG_NET_SCH_NETEM unset, as in many
// microVM kernels) cannot delay packets with tc. A shaped run then gives
// each node a TUN device instead of a veth pair, and the harness carries
// the packets between them itself: each one read from the sender's TUN is
// dropped with the sender's Link.Loss, or written to the receiver's TUN
// after the sender's Link.Delay (± Jitter, normal), in order per sender.
// Partitions stay nftables rules in the namespaces, which see the same
// packets on tun0 as they would on eth0.

// netemAvailable says whether tc can add a netem qdisc, tried on the
// loopback of namespace ns.
func netemAvailable(ctx context.Context, ns string) bool {
	if run(ctx, "ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms") != nil {
		return false
	}
	run(ctx, "ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "lo", "root")
	return true
}

// wire is the harness's packet carrier between the nodes' TUN devices.
type wire struct {
	mu    sync.Mutex
	tuns  map[[4]byte]*os.File // by address
	files []*os.File
	links func(k int) Link
	byK   map[[4]byte]int
	wg    sync.WaitGroup
	done  chan struct{}
}

// openTun makes the TUN device tun0 inside namespace ns and returns its
// file: opened from a thread that entered ns, so that the device is made
// there.
func openTun(ns string) (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer self.Close()
		target, err := os.Open("/run/netns/" + ns)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("setns %s: %w", ns, err)}
			return
		}
		f, err := makeTun()
		if unix.Setns(int(self.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{f, err}
	}()
	r := <-ch
	return r.f, r.err
}

func makeTun() (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq("tun0")
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF: %w", err)
	}
	return os.NewFile(uintptr(fd), "tun0"), nil
}

func addr4(ip string) [4]byte {
	var a [4]byte
	fmt.Sscanf(ip, "%d.%d.%d.%d", &a[0], &a[1], &a[2], &a[3])
	return a
}

// start carries packets until stop.
func (w *wire) start() {
	w.done = make(chan struct{})
	for a, f := range w.tuns {
		k := w.byK[a]
		w.wg.Go(func() { w.carry(k, f) })
	}
}

type packet struct {
	at  time.Time
	to  *os.File
	buf []byte
}

func (w *wire) carry(k int, from *os.File) {
	q := make(chan packet, 4096)
	defer close(q)
	w.wg.Go(func() {
		for p := range q {
			if d := time.Until(p.at); d > 0 {
				time.Sleep(d)
			}
			p.to.Write(p.buf)
		}
	})
	r := mrand.New(mrand.NewPCG(uint64(k), uint64(time.Now().UnixNano())))
	var last time.Time
	buf := make([]byte, 65536)
	for {
		n, err := from.Read(buf)
		if err != nil {
			return
		}
		if n < 20 || buf[0]>>4 != 4 {
			continue // IPv4 only: the nodes speak nothing else
		}
		var dst [4]byte
		copy(dst[:], buf[16:20])
		w.mu.Lock()
		to := w.tuns[dst]
		w.mu.Unlock()
		if to == nil {
			continue
		}
		l := w.links(k)
		if l.Loss > 0 && r.Float64()*100 < l.Loss {
			continue
		}
		d := time.Duration((l.Delay + l.Jitter*r.NormFloat64()) * float64(time.Millisecond))
		at := time.Now().Add(max(d, 0))
		if at.Before(last) {
			at = last // in order per sender, as netem without reordering
		}
		last = at
		select {
		case q <- packet{at, to, append([]byte(nil), buf[:n]...)}:
		default: // the queue is full: dropped, as a full netem queue would
		}
	}
}

// stop closes the TUN devices, which ends the carriers.
func (w *wire) stop() {
	for _, f := range w.files {
		f.Close()
	}
	w.wg.Wait()
}
