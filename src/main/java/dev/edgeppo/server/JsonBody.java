package dev.edgeppo.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeppo.agent.BadInputException;
import dev.edgeppo.json.Json;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/**
 * Strict reading of a request body: UTF-8 only, one JSON object, no duplicate or unknown keys, and each
 * field of exactly its JSON type (no "80" for 80, no 80.5 for an integer, no NaN or overflow to Infinity).
 * Every refusal is a {@link BadInputException} that says what is wrong.
 */
final class JsonBody {
  /** The shared configuration (dev.edgeppo.json.Json) with a request's tighter limits. */
  static final ObjectMapper MAPPER = Json.mapper(Json.factory()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxNumberLength(64).maxStringLength(4096).build())
      .build());

  private final ObjectNode node;

  private JsonBody(ObjectNode node) { this.node = node; }

  static JsonBody parse(byte[] body, Set<String> allowed) {
    if (body.length == 0) throw new BadInputException("body is empty; expected a JSON object");
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
    } catch (CharacterCodingException e) {
      throw new BadInputException("body is not valid UTF-8");
    }
    JsonNode n;
    try {
      n = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new BadInputException("malformed JSON: " + e.getOriginalMessage());
    }
    if (n == null || !n.isObject()) throw new BadInputException("body must be a JSON object");
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) throw new BadInputException("unknown field '" + clip(f) + "'; expected " + allowed);
    }
    return new JsonBody((ObjectNode) n);
  }

  int requireInt(String field) {
    JsonNode v = require(field);
    if (v.isIntegralNumber() && !v.canConvertToInt()) throw new BadInputException(field + " is out of range: " + clip(v.asText()));
    if (!v.isIntegralNumber()) throw new BadInputException(field + " must be an integer, got " + kind(v));
    return v.intValue();
  }

  long requireLong(String field) {
    JsonNode v = require(field);
    if (v.isIntegralNumber() && !v.canConvertToLong()) throw new BadInputException(field + " is out of range: " + clip(v.asText()));
    if (!v.isIntegralNumber()) throw new BadInputException(field + " must be an integer, got " + kind(v));
    return v.longValue();
  }

  double requireNumber(String field) {
    JsonNode v = require(field);
    if (!v.isNumber()) throw new BadInputException(field + " must be a number, got " + kind(v));
    double d = v.doubleValue();
    if (!Double.isFinite(d)) throw new BadInputException(field + " must be a finite number");
    return d;
  }

  boolean requireBoolean(String field) {
    JsonNode v = require(field);
    if (!v.isBoolean()) throw new BadInputException(field + " must be true or false, got " + kind(v));
    return v.booleanValue();
  }

  String requireString(String field) {
    JsonNode v = require(field);
    if (!v.isTextual()) throw new BadInputException(field + " must be a string, got " + kind(v));
    return v.textValue();
  }

  /** A nested object with only {@code allowed} fields, read with the same rules. */
  JsonBody requireObject(String field, Set<String> allowed) {
    JsonNode v = require(field);
    if (!v.isObject()) throw new BadInputException(field + " must be an object, got " + kind(v));
    for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) throw new BadInputException("unknown field '" + field + "." + clip(f) + "'; expected " + allowed);
    }
    return new JsonBody((ObjectNode) v);
  }

  boolean has(String field) {
    JsonNode v = node.get(field);
    return v != null && !v.isNull();
  }

  /** An optional field that may be an index (integer) or a UUID (string); null when absent. */
  String optionalIndexOrId(String field) {
    if (!has(field)) return null;
    JsonNode v = node.get(field);
    if (v.isIntegralNumber() && v.canConvertToInt() && v.intValue() >= 0) return Integer.toString(v.intValue());
    if (v.isTextual()) return v.textValue();
    throw new BadInputException(field + " must be a GPU index (integer >= 0) or a UUID (string), got " + kind(v));
  }

  private JsonNode require(String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) throw new BadInputException("missing field '" + field + "'");
    return v;
  }

  private static String kind(JsonNode v) {
    if (v.isTextual()) return "a string";
    if (v.isBoolean()) return "a boolean";
    if (v.isIntegralNumber()) return "an integer";
    if (v.isNumber()) return "a fraction";
    if (v.isArray()) return "an array";
    if (v.isObject()) return "an object";
    return v.getNodeType().toString().toLowerCase();
  }

  private static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

}
