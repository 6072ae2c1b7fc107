package manifest

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// State is the optional top-level `state:` block: it keeps the lockfile
// document in a shared backend instead of wxmedia.lock.json. The
// connection string is never in the manifest, only the name of the
// environment variable holding it.
type State struct {
	// Backend is the kind of store; only StatePG is supported.
	Backend string
	// ConnStrEnv names the environment variable holding the connection
	// string.
	ConnStrEnv string
	// Workspace names this state within the backend; default
	// DefaultStateWorkspace.
	Workspace string
	// Schema is the database schema holding wxmedia's tables; default
	// DefaultStateSchema.
	Schema string
	Pos    Pos
}

// State backends and defaults.
const (
	StatePG               = "pg"
	DefaultStateWorkspace = "default"
	DefaultStateSchema    = "wxmedia"
)

var (
	stateKeys     = []string{"backend", "conn_str_env", "workspace", "schema"}
	stateBackends = []string{StatePG}
	// sqlIdentPattern is an unquoted PostgreSQL identifier, at most 63
	// bytes (NAMEDATALEN-1).
	sqlIdentPattern = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

// state validates the top-level state block.
func (p *parser) state(e entry) *State {
	const path = "state"
	v := e.val
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		p.errorf(e.key, path, "state is empty; give it backend: pg and conn_str_env: VAR (the environment variable holding the connection string), or remove it to keep the local lockfile")
		return nil
	}
	if v.Kind != yaml.MappingNode {
		p.errorf(v, path, "state must be a mapping of settings (backend, conn_str_env, workspace, schema), not %s", describe(v))
		return nil
	}
	f := map[string]entry{}
	for _, c := range p.entries(v, path) {
		if !contains(stateKeys, c.name) {
			p.unknownKey(c, path, "state key", stateKeys)
			continue
		}
		f[c.name] = c
	}
	s := &State{Workspace: DefaultStateWorkspace, Schema: DefaultStateSchema, Pos: Pos{Line: e.key.Line, Col: e.key.Column}}
	ok := true
	missing := func(k, format string, args ...any) {
		ok = false
		if c, present := f[k]; present {
			p.errorf(c.val, join(path, k), k+" is empty; "+format, args...)
			return
		}
		p.errorf(e.key, join(path, k), k+" is missing; "+format, args...)
	}

	switch b, set, n := p.field(f, path, "backend"); {
	case !set:
		missing("backend", "set it to pg (PostgreSQL), the only backend")
	case n == nil: // not a scalar; reported
		ok = false
	case !contains(stateBackends, b):
		ok = false
		p.errorf(n, "state.backend", "backend %s is not supported: the only backend is pg (PostgreSQL); write backend: pg, or remove the state block to keep the local lockfile", show(b))
	default:
		s.Backend = b
	}

	switch env, set, n := p.field(f, path, "conn_str_env"); {
	case !set:
		missing("conn_str_env", "name the environment variable that holds the PostgreSQL connection string, e.g. conn_str_env: WXMEDIA_PG_CONN (never write the connection string itself in the manifest)")
	case n == nil:
		ok = false
	case strings.Contains(env, "://") || strings.ContainsAny(env, "=@ /:"):
		// Never echo it: it may hold a password.
		ok = false
		p.errorf(n, "state.conn_str_env", "conn_str_env looks like a connection string, not the name of an environment variable; export the connection string as a variable (e.g. WXMEDIA_PG_CONN), write that name here, and change the database password if this file was ever shared")
	case !envNamePattern.MatchString(env):
		ok = false
		p.errorf(n, "state.conn_str_env", "conn_str_env must be the name of an environment variable (letters, digits and '_', not starting with a digit), such as WXMEDIA_PG_CONN")
	default:
		s.ConnStrEnv = env
	}

	if w, set, n := p.field(f, path, "workspace"); set && n != nil {
		if !namePattern.MatchString(w) || len(w) > 128 {
			ok = false
			p.errorf(n, "state.workspace", "workspace %s is not allowed: it must be 1 to 128 characters, start with a letter or digit and contain only letters, digits, '_', '.' and '-'", show(w))
		} else {
			s.Workspace = w
		}
	} else if set || n != nil {
		// A mapping or list (reported), or an empty value.
		if n != nil {
			p.errorf(n, "state.workspace", "workspace is empty; name the state (e.g. workspace: shop-media), or remove the key for %q", DefaultStateWorkspace)
		}
		ok = false
	}

	if sc, set, n := p.field(f, path, "schema"); set && n != nil {
		if !sqlIdentPattern().MatchString(sc) {
			ok = false
			p.errorf(n, "state.schema", "schema %s is not a plain PostgreSQL identifier: use 1 to 63 letters, digits and '_', not starting with a digit (e.g. wxmedia)", show(sc))
		} else {
			s.Schema = sc
		}
	} else if set || n != nil {
		if n != nil {
			p.errorf(n, "state.schema", "schema is empty; name a database schema (e.g. schema: wxmedia), or remove the key for %q", DefaultStateSchema)
		}
		ok = false
	}
	if !ok {
		return nil
	}
	return s
}
