// Command demo-sql prints the seed's demo SQL one statement at a time,
// NUL-terminated, for a shell loop that sends each to the RDS Data API
// (which runs one statement per call). See scripts/load-demo-data.sh.
package main

import (
	"fmt"
	"os"

	"github.com/snapshotlake/snapshotlake/constructs/demo"
)

func main() {
	for _, s := range demo.Statements(demo.SQL()) {
		if _, err := fmt.Fprint(os.Stdout, s, "\x00"); err != nil {
			fmt.Fprintln(os.Stderr, "demo-sql:", err)
			os.Exit(1)
		}
	}
}
