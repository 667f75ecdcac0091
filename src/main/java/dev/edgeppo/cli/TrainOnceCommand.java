package dev.edgeppo.cli;

import dev.edgeppo.ppo.AdamState;
import dev.edgeppo.backend.Backends;
import dev.edgeppo.ppo.UpdateBackend;
import dev.edgeppo.ppo.UpdateCase;
import dev.edgeppo.ppo.UpdateMetrics;
import dev.edgeppo.storage.StateFs;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** SPEC §2: exactly one update from a fresh optimiser state, parameters after it written out. */
@Command(name = "train-once", mixinStandardHelpOptions = true,
    description = "Run one PPO update of an update-case file and write the parameters after it.")
final class TrainOnceCommand implements Callable<Integer> {
  @Option(names = "--case", required = true, paramLabel = "CASE.json", description = "update-case file (SPEC §2)")
  Path casePath;

  @Option(names = "--out", required = true, paramLabel = "RESULT.json", description = "where to write parameters and metrics")
  Path out;

  @Option(names = "--backend", defaultValue = "cpu", description = "cpu | cuda | cuda-host | auto (default: ${DEFAULT-VALUE})")
  String backend;

  @Override
  public Integer call() throws Exception {
    Backends.Choice choice = Backends.choose(backend);
    UpdateCase c = UpdateCase.read(casePath);
    System.err.println(choice.why());
    UpdateMetrics m;
    try (UpdateBackend b = choice.backend()) {
      m = b.update(c.parameters(), new AdamState(c.parameters().layout()), c.batch(), c.hyperparameters());
    }
    StateFs.real().replaceAtomically(out,
        UpdateCase.json().writerWithDefaultPrettyPrinter().writeValueAsBytes(UpdateCase.result(c.parameters(), m)));
    System.err.printf("update of %d experiences (H=%d) on %s: %d steps, %d skipped; wrote %s%n",
        c.batch().size(), c.parameters().layout().hidden(), choice.backend().name(), m.steps(), m.skippedSteps(), out);
    return 0;
  }
}
