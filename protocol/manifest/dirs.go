package manifest

import "strings"

// dirCheck refuses, in a stream of keys in ascending order, a path that is
// a directory of another ("a" and "a/b": no file system holds both), in
// memory bounded by the length of a key, not the number of entries.
//
// In ascending order every key between a key p and a later key that begins
// with p also begins with p, so the keys that may still be a directory of
// a later one form a chain, each a prefix of the next: the stack.
type dirCheck struct {
	stack []string // keys, each a prefix of the next
	paths []string // the path of each key, for messages
}

// add takes the next key (and its path); it must be after every key added
// before.
func (d *dirCheck) add(path, key string) error {
	for len(d.stack) > 0 && !strings.HasPrefix(key, d.stack[len(d.stack)-1]) {
		d.stack = d.stack[:len(d.stack)-1]
		d.paths = d.paths[:len(d.paths)-1]
	}
	for i, p := range d.stack {
		if key[len(p)] == '/' {
			return invalid("path %q is a file, and a directory of path %q", clip(d.paths[i]), clip(path))
		}
	}
	d.stack = append(d.stack, key)
	d.paths = append(d.paths, path)
	return nil
}
