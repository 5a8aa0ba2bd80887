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
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "snapshotlake:", err)
		os.Exit(1)
	}
}

// run synthesizes the app configured by the CDK context.
func run() error {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg, err := stacks.ConfigFromContext(func(key string) any { return app.Node().TryGetContext(jsii.String(key)) })
	if err != nil {
		return err
	}
	if _, err := stacks.Build(app, cfg); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}
