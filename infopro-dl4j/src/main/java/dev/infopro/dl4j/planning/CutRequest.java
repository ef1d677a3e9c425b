package dev.infopro.dl4j.planning;

import dev.infopro.dl4j.config.SplitStrategy;
import lombok.AccessLevel;
import lombok.AllArgsConstructor;
import lombok.Value;

import java.util.ArrayList;
import java.util.List;

/** Where the user wants the network cut: after named vertices, into K modules by a strategy, or not at all. */
@Value
@AllArgsConstructor(access = AccessLevel.PRIVATE)
public class CutRequest {
    /** Cut vertices as the user named them (any order), or null. */
    List<String> vertices;
    /** K when the planner chooses the cuts, or 0. */
    int numModules;
    /** How the planner chooses the cuts, or null. */
    SplitStrategy strategy;

    /** Cut after each named vertex (each must separate the graph). */
    public static CutRequest after(List<String> vertices) {
        return new CutRequest(new ArrayList<>(vertices), 0, null);
    }

    /** Cut into {@code k} modules at cuts chosen by {@code strategy}; {@code k = 1} means no cut. */
    public static CutRequest modules(int k, SplitStrategy strategy) {
        if (k < 1) {
            throw new IllegalArgumentException("Number of modules must be >= 1, got " + k);
        }
        return new CutRequest(null, k, strategy);
    }

    /** No cut: one module, end-to-end training. */
    public static CutRequest none() {
        return new CutRequest(null, 1, null);
    }
}
