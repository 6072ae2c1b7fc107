package manifest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/wxmedia/wxmedia/manifest"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite wxmedia.schema.json")

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := manifest.SchemaJSON()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(manifest.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(manifest.SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlToJSON converts a manifest to the JSON value the schema checks.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExamplesMatchSchema(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob("../examples/*/wxmedia.yaml")
	if len(files) < 2 {
		t.Fatalf("found %d example manifests", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(yamlToJSON(t, data)); err != nil {
			t.Errorf("%s does not match the schema: %v", f, err)
		}
		if !bytes.Contains(data, []byte("# yaml-language-server: $schema=")) {
			t.Errorf("%s lacks the yaml-language-server schema line", f)
		}
		// And the validator accepts it too (the CI recipe's key file is
		// written from a secret by its workflow, so it is not on disk here).
		if strings.Contains(f, "github-actions") {
			continue
		}
		if _, err := manifest.Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestSchemaRejectsWhatTheValidatorRejects(t *testing.T) {
	s := compileSchema(t)
	for name, doc := range map[string]string{
		"unknown top key":     "version: 1\nfoo: 1\n",
		"unknown account key": "version: 1\naccounts:\n  a: {api: v3, mchid: '1', private_key_fil: x}\n",
		"bad api":             "version: 1\naccounts:\n  a: {api: v4, mchid: '1'}\n",
		"bad type":            "version: 1\nassets:\n  a: {type: imgae, account: a, file: x.png}\n",
		"file and glob":       "version: 1\nassets:\n  a: {type: image, account: a, file: x.png, glob: '*.png'}\n",
		"bad name":            "version: 1\nassets:\n  '-a': {type: image, account: a, file: x.png}\n",
		"zero rate":           "version: 1\naccounts:\n  a: {api: v3, mchid: '1', rate_limit: 0}\n",
		"version 2":           "version: 2\n",
	} {
		if err := s.Validate(yamlToJSON(t, []byte(doc))); err == nil {
			t.Errorf("%s: schema accepted %q", name, doc)
		}
	}
}

// TestSchemaFileCurrent keeps the committed wxmedia.schema.json (which the
// examples reference for editor completion) equal to `wxmedia schema`.
func TestSchemaFileCurrent(t *testing.T) {
	want, err := manifest.SchemaJSON()
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *updateSchema {
		if err := os.WriteFile("../wxmedia.schema.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("../wxmedia.schema.json")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("wxmedia.schema.json is stale; run: go test ./manifest -run TestSchemaFileCurrent -update-schema")
	}
	if !strings.Contains(string(got), `"private_key_file"`) {
		t.Error("schema lacks account keys")
	}
}
