package manifest

import (
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// The optional top-level `environments:` block: one repository, several
// setups (a sandbox rehearsal, production). Each environment overrides
// settings of declared accounts; Options.Env selects one, and the selected
// overrides are merged into the accounts before they are validated, so
// every check (and every message's position) applies to the merged value.
//
//	environments:
//	  rehearsal:
//	    accounts:
//	      shop: {endpoint: "https://127.0.0.1:8787", ca_file: secrets/emulator-ca.pem}

var envKeys = []string{"accounts"}

// environmentNames lists the declared environments, sorted.
func environmentNames(envs map[string]map[string]*yaml.Node) string {
	names := make([]string, 0, len(envs))
	for n := range envs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// environments checks the block and returns each environment's account
// overrides (account name → its mapping), by environment name.
func (p *parser) environments(e *entry, declared map[string]bool) map[string]map[string]*yaml.Node {
	out := map[string]map[string]*yaml.Node{}
	if e == nil {
		return out
	}
	envs, _ := p.section(e, "environments", "environment")
	for _, env := range envs {
		path := "environments." + env.name
		if !namePattern.MatchString(env.name) {
			p.errorf(env.key, path, "environment name %s is not allowed: %s", show(env.name), nameRule)
			continue
		}
		overrides := map[string]*yaml.Node{}
		out[env.name] = overrides
		v := p.resolve(env.val)
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue // an environment that changes nothing but the lockfile
		}
		if v.Kind != yaml.MappingNode {
			p.errorf(v, path, "environment %s must be a mapping with accounts: overrides, not %s", env.name, describe(v))
			continue
		}
		for _, k := range p.entries(v, path) {
			if !contains(envKeys, k.name) {
				p.unknownKey(k, path, "environment key", envKeys)
				continue
			}
			accts, _ := p.section(&k, path+".accounts", "account")
			for _, a := range accts {
				apath := path + ".accounts." + a.name
				if !declared[a.name] {
					p.errorf(a.key, apath, "environment %s overrides account %s, which is not declared under accounts; declare it there, or fix the name", env.name, show(a.name))
					continue
				}
				av := p.resolve(a.val)
				if av.Kind != yaml.MappingNode {
					p.errorf(av, apath, "the override of account %s must be a mapping of account settings (endpoint, mchid, ...), not %s", a.name, describe(av))
					continue
				}
				ok := true
				for _, f := range p.entries(av, apath) {
					switch {
					case f.name == "api":
						ok = false
						p.errorf(f.key, apath+".api", "an environment cannot change an account's api (the asset types depend on it); declare another account instead")
					case !contains(accountKeys, f.name):
						ok = false
						p.unknownKey(f, apath, "account key", accountKeys[1:])
					}
				}
				if ok {
					overrides[a.name] = av
				}
			}
		}
	}
	return out
}

// mergeAccount returns base with the keys of override replacing (or added
// to) its own: a new node, so that the YAML tree is left as it was.
func mergeAccount(base, override *yaml.Node) *yaml.Node {
	if base.Kind != yaml.MappingNode {
		return base
	}
	merged := *base
	merged.Content = nil
	set := map[string]*yaml.Node{}
	for i := 0; i+1 < len(override.Content); i += 2 {
		set[override.Content[i].Value] = override.Content[i+1]
	}
	done := map[string]bool{}
	for i := 0; i+1 < len(base.Content); i += 2 {
		k, v := base.Content[i], base.Content[i+1]
		if o, ok := set[k.Value]; ok {
			v = o
			done[k.Value] = true
		}
		merged.Content = append(merged.Content, k, v)
	}
	for i := 0; i+1 < len(override.Content); i += 2 {
		if k := override.Content[i]; !done[k.Value] {
			merged.Content = append(merged.Content, k, override.Content[i+1])
		}
	}
	return &merged
}
