package manifest

import (
	"testing"
)

func TestStateBlock(t *testing.T) {
	m, err, text := load(t, "version: 1\nstate:\n  backend: pg\n  conn_str_env: WXMEDIA_PG_CONN\n  workspace: shop-media\n  schema: media_state\n", nil)
	if err != nil {
		t.Fatal(text)
	}
	want := State{Backend: StatePG, ConnStrEnv: "WXMEDIA_PG_CONN", Workspace: "shop-media", Schema: "media_state", Pos: Pos{Line: 2, Col: 1}}
	if m.State == nil || *m.State != want {
		t.Fatalf("State = %+v, want %+v", m.State, want)
	}
	m, err, text = load(t, "version: 1\nstate: {backend: pg, conn_str_env: PG}\n", nil)
	if err != nil {
		t.Fatal(text)
	}
	if m.State.Workspace != DefaultStateWorkspace || m.State.Schema != DefaultStateSchema {
		t.Errorf("defaults: %+v", m.State)
	}
	if m, err, _ := load(t, "version: 1\n", nil); err != nil || m.State != nil {
		t.Errorf("no state block: %+v, %v", m, err)
	}
}

func TestStateErrors(t *testing.T) {
	const head = "version: 1\nstate:\n"
	runErrCases(t, []errCase{
		{name: "empty", yaml: head, want: []string{"2:1: state: state is empty; give it backend: pg and conn_str_env"}, n: 1},
		{name: "scalar", yaml: "version: 1\nstate: pg\n", want: []string{"2:8: state: state must be a mapping of settings"}, n: 1},
		{name: "unknown key", yaml: head + "  backend: pg\n  conn_str_env: PG\n  workspce: x\n",
			want: []string{"5:3: state.workspce: unknown state key workspce; did you mean workspace? allowed: backend, conn_str_env, workspace, schema"}, n: 1},
		{name: "backend missing", yaml: head + "  conn_str_env: PG\n", want: []string{"2:1: state.backend: backend is missing; set it to pg"}, n: 1},
		{name: "backend unknown", yaml: head + "  backend: s3\n  conn_str_env: PG\n", want: []string{"3:12: state.backend: backend s3 is not supported: the only backend is pg"}, n: 1},
		{name: "backend list", yaml: head + "  backend: [pg]\n  conn_str_env: PG\n", want: []string{"3:12: state.backend: must be a single value, not a list"}, n: 1},
		{name: "conn_str_env missing", yaml: head + "  backend: pg\n", want: []string{"2:1: state.conn_str_env: conn_str_env is missing; name the environment variable"}, n: 1},
		{name: "conn_str_env empty", yaml: head + "  backend: pg\n  conn_str_env:\n", want: []string{"4:16: state.conn_str_env: conn_str_env is empty"}, n: 1},
		{name: "conn_str_env holds a URL", yaml: head + "  backend: pg\n  conn_str_env: postgres://u:hunter22@db/x\n",
			want: []string{"4:17: state.conn_str_env: conn_str_env looks like a connection string"}, never: []string{"hunter22"}, n: 1},
		{name: "conn_str_env holds key=value", yaml: head + "  backend: pg\n  conn_str_env: \"host=db password=hunter22\"\n",
			want: []string{"conn_str_env looks like a connection string"}, never: []string{"hunter22"}, n: 1},
		{name: "conn_str_env not a name", yaml: head + "  backend: pg\n  conn_str_env: 1PG\n", want: []string{"4:17: state.conn_str_env: conn_str_env must be the name of an environment variable"}, n: 1},
		{name: "bad workspace", yaml: head + "  backend: pg\n  conn_str_env: PG\n  workspace: my shop\n", want: []string{"5:14: state.workspace: workspace \"my shop\" is not allowed"}, n: 1},
		{name: "empty workspace", yaml: head + "  backend: pg\n  conn_str_env: PG\n  workspace: \"\"\n", want: []string{"5:14: state.workspace: workspace is empty"}, n: 1},
		{name: "bad schema", yaml: head + "  backend: pg\n  conn_str_env: PG\n  schema: a.b\n", want: []string{"5:11: state.schema: schema a.b is not a plain PostgreSQL identifier"}, n: 1},
		{name: "schema map", yaml: head + "  backend: pg\n  conn_str_env: PG\n  schema: {a: 1}\n", want: []string{"5:11: state.schema: must be a single value, not a mapping"}, n: 1},
		{name: "two problems", yaml: head + "  backend: mysql\n  conn_str_env: 9\n", n: 2},
	})
}
