package command

// `wxmedia schema`.

import (
	"fmt"

	"github.com/wxmedia/wxmedia/manifest"
)

func init() {
	register(&command{name: "schema", synopsis: "print the manifest's JSON Schema",
		help: "Editors that speak the YAML language server complete and check wxmedia.yaml with it:\n" +
			"  wxmedia schema > wxmedia.schema.json\n" +
			"and put `# yaml-language-server: $schema=wxmedia.schema.json` at the top of the manifest.",
		args: simple(func(c *cli, args []string) int {
			data, err := manifest.SchemaJSON()
			if err != nil {
				return c.fail(err)
			}
			fmt.Fprintf(c.stdout, "%s\n", data)
			return ExitOK
		}).args})
}
