// Command snapshotlake is the CDK app: it reads the configuration from the
// CDK context and synthesizes the configured stacks.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/stacks"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg, err := stacks.ConfigFromContext(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
	if err == nil {
		_, err = stacks.Build(app, cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "snapshotlake:", err)
		os.Exit(1)
	}
	app.Synth(nil)
}
