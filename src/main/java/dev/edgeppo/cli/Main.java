package dev.edgeppo.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The command line of bin/edgeppo (SPEC §3). Each subcommand lives in its own class. */
@Command(name = "edgeppo", mixinStandardHelpOptions = true, version = "edgeppo 0.1.0",
    description = "PPO agent that decides GPU shares (SM cores %%, memory MB) for pods on an edge node.",
    subcommands = {
        CommandLine.HelpCommand.class,
        TrainOnceCommand.class,
        BenchCommand.class,
        ServeCommand.class,
        SimulateCommand.class,
        GpuDiagCommand.class,
        WebhookCommand.class,
        SchedulingGapCommand.class,
        GpuCheckCommand.class,
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Shared by tests so they run the very command line users do. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
      cmd.getErr().println("edgeppo " + cmd.getCommandName() + ": " + ex.getMessage());
      if (Boolean.getBoolean("edgeppo.debug")) ex.printStackTrace(cmd.getErr());
      return 1;
    });
    return cl;
  }
}
