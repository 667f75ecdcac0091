package dev.edgeppo.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ActionMapperTest {
  @Test
  void seedExample() {
    // [0.56, 0.08] -> 60 %, 3092 MB (0.56*90+10 = 60.4, 0.08*32256+512 = 3092.48), under the request 80/4000.
    assertEquals(new ActionMapper.Grant(60, 3092), ActionMapper.grant(new float[] {0.56f, 0.08f}, 80, 4000, 32768));
  }

  @Test
  void grantIsCappedAtTheRequest() {
    assertEquals(new ActionMapper.Grant(50, 2000), ActionMapper.grant(new float[] {0.56f, 0.08f}, 50, 2000, 32768));
  }

  @Test
  void actionsAreClippedOnlyToConvert() {
    assertEquals(new ActionMapper.Grant(10, 32768), ActionMapper.grant(new float[] {-0.3f, 1.7f}, 100, 100000, 32768));
    assertEquals(new ActionMapper.Grant(100, 512), ActionMapper.grant(new float[] {3f, -2f}, 100, 100000, 32768));
    assertEquals(new ActionMapper.Grant(10, 512), ActionMapper.grant(new float[] {Float.NaN, Float.NaN}, 100, 100000, 32768));
  }
}
