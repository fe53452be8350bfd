package main

import (
	"fmt"
	"slices"
	"strings"
)

// Flag declares one flag of a command. Go's flag package stops at the first
// positional argument; commons takes flags anywhere on the line, so every
// command declares its flags and parseArgs sorts the line out.
type Flag struct {
	Name     string // without dashes
	Value    string // the placeholder of its value in usage ("ID"); "" for a boolean flag
	Repeat   bool   // may be given more than once; the values accumulate
	Required bool
	Help     string
}

func (f Flag) takesValue() bool { return f.Value != "" }

// Args are the positionals and flag values of one command line.
type Args struct {
	Pos  []string
	vals map[string][]string
}

// Get returns the value of a flag, or "".
func (a *Args) Get(name string) string {
	if v := a.vals[name]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

// All returns every value of a repeatable flag, in order.
func (a *Args) All(name string) []string { return a.vals[name] }

// Has reports whether a flag was given.
func (a *Args) Has(name string) bool { _, ok := a.vals[name]; return ok }

// Bool reports whether a boolean flag is set.
func (a *Args) Bool(name string) bool { return a.Get(name) == "true" }

// usageError is a command line that the CLI refuses by its own rules,
// before it reads a file or asks the daemon: an unknown command or flag, a
// missing or extra argument, a flag or argument whose value does not parse
// or is outside the range its usage gives. It exits 2 with the command's
// usage. Whatever depends on more than the line (a file, a key name, what
// the daemon holds) is not a usage error, and exits 1.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// badValue makes err, the refusal of a flag's or argument's value, a usage
// error; err keeps its kind. A nil err stays nil.
func badValue(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}

// parseArgs separates positionals from the flags in spec, in any order.
// Flags are written -name or --name; a value follows as --name=V or as the
// next argument, even one that starts with a dash (--weight -1 is a weight,
// refused later, not a flag). A boolean flag takes no next argument but
// accepts --name=true|false. "--" ends the flags; a lone "-" is a
// positional (standard input).
func parseArgs(args []string, spec []Flag) (*Args, error) {
	out := &Args{vals: map[string][]string{}}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			out.Pos = append(out.Pos, args[i+1:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			out.Pos = append(out.Pos, arg)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg[1:], "-"), "=")
		j := slices.IndexFunc(spec, func(f Flag) bool { return f.Name == name })
		if j < 0 {
			return nil, usagef("unknown flag %s", strings.SplitN(arg, "=", 2)[0])
		}
		f := spec[j]
		switch {
		case !f.takesValue() && !hasValue:
			value = "true"
		case !f.takesValue():
			if value != "true" && value != "false" {
				return nil, usagef("flag --%s takes no value (or =true, =false), got %q", name, value)
			}
		case !hasValue:
			if i+1 == len(args) {
				return nil, usagef("flag --%s needs a value: --%s %s", name, name, f.Value)
			}
			i++
			value = args[i]
		}
		if out.Has(name) && !f.Repeat && f.takesValue() {
			return nil, usagef("flag --%s given twice", name)
		}
		out.vals[name] = append(out.vals[name], value)
	}
	for _, f := range spec {
		if f.Required && !out.Has(f.Name) {
			return nil, usagef("missing --%s %s", f.Name, f.Value)
		}
	}
	return out, nil
}

// positionals checks that exactly len(names) positionals were given and
// returns them.
func (a *Args) positionals(names ...string) ([]string, error) {
	switch {
	case len(a.Pos) < len(names):
		return nil, usagef("missing %s", strings.Join(names[len(a.Pos):], " "))
	case len(a.Pos) > len(names):
		return nil, usagef("unexpected argument %q", a.Pos[len(names)])
	}
	return a.Pos, nil
}
