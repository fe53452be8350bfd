package testnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

var (
	buildMu  sync.Mutex
	buildDir string // holds the binary Build made, until CleanBuild
	builtBin string
)

// Build runs `go build ./cmd/commons` from the module's root once per
// process and returns the binary's path; later calls return the same
// binary. CleanBuild removes it.
func Build(ctx context.Context) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if builtBin != "" {
		return builtBin, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "commons-testnet-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "commons")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/commons")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("testnet: go build ./cmd/commons in %s: %v\n%s", root, err, out)
	}
	buildDir, builtBin = dir, bin
	return bin, nil
}

// CleanBuild removes the binary Build made.
func CleanBuild() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	buildDir, builtBin = "", ""
}

// ModuleRoot is the directory of commons' go.mod: where this file was
// compiled from, else the first parent of the working directory that holds
// cmd/commons.
func ModuleRoot() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Dir(filepath.Dir(file))
		if isRoot(root) {
			return root, nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testnet: cannot find the commons module (go.mod beside cmd/commons) from the working directory")
		}
		dir = parent
	}
}

func isRoot(dir string) bool {
	_, err1 := os.Stat(filepath.Join(dir, "go.mod"))
	_, err2 := os.Stat(filepath.Join(dir, "cmd", "commons"))
	return err1 == nil && err2 == nil
}
