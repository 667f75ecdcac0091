package dev.edgeppo.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The claim, as `edgeppo simulate` makes it: after 20,000 feedbacks PPO's infer-mode mean reward
 * beats every baseline on the same evaluation arrivals, on the synthetic mix and on the trace excerpt.
 * (About 5 s each on two cores.)
 */
class PpoBeatsBaselinesTest {
  @ParameterizedTest
  @ValueSource(strings = {"synthetic", "trace"})
  void afterTwentyThousandFeedbacks(String workload) throws Exception {
    SimulateCommandTest.Run r = SimulateCommandTest.run("simulate", "--workload", workload, "--feedbacks", "20000",
        "--eval-feedbacks", "3000", "--seed", "1", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    double ppo = j.get("policies").get("ppo").get("mean_reward_last").asDouble();
    for (String b : List.of("grant_requested", "fixed_fraction", "random")) {
      double base = j.get("policies").get(b).get("mean_reward_last").asDouble();
      assertTrue(ppo > base + 0.05, workload + ": ppo " + ppo + " vs " + b + " " + base);
    }
  }
}
