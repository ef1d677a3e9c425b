package dev.infopro.dl4j.cli;

import lombok.Builder;
import lombok.Value;

import java.util.List;

/** One training run of the tool: data, network, method, split and recipe. */
@Value
@Builder(toBuilder = true)
class ExperimentSpec {
    /** Dataset spec, e.g. {@code fashion-mnist} or {@code cifar10:/data/cifar}. */
    String data;
    /** CIFAR ResNet depth (unused for a zoo network). */
    int depth;
    /** A model-zoo network ({@link ZooNetworks}), or null for the CIFAR ResNet of {@code depth}. */
    ZooNetworks zoo;
    Method method;
    /** Number of modules (1 for e2e). */
    int k;
    /** Explicit cut vertices, or null for the presets. */
    List<String> cuts;
    /** Use the paper's memory-balanced InfoPro* split. */
    boolean balanced;
    int epochs;
    int batch;
    double lr;
    /** Training images to use (0 = all). */
    int trainSubset;
    /** Test images to use (0 = all). */
    int testSubset;
    long seed;
    /** ixx1, ixy1, ixx2, ixy2, or null for the defaults. */
    double[] lambdas;
    /** Learning-rate schedule: cosine (default), paper or constant. */
    String schedule;
    /** Recipe preset name (the optimizer settings; epochs, batch and lr are overridden). */
    String recipe;
    /** {@code train --engine}: null or {@code dl4j} for ComputationGraph modules, {@code samediff}. */
    String engine;

    /** The {@code infopro train} options that run this spec (without {@code --out}). */
    java.util.List<String> toTrainArgs() {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("train", "--data", data,
                "--arch", arch(), "--method", method.cliName, "--k", String.valueOf(k),
                "--epochs", String.valueOf(epochs), "--batch", String.valueOf(batch), "--lr", String.valueOf(lr),
                "--recipe", recipe, "--schedule", schedule == null ? "cosine" : schedule,
                "--train-subset", String.valueOf(trainSubset), "--test-subset", String.valueOf(testSubset),
                "--seed", String.valueOf(seed)));
        if (cuts != null && !cuts.isEmpty()) {
            a.add("--cuts");
            a.add(String.join(",", cuts));
        }
        if (balanced) {
            a.add("--balanced");
        }
        if (engine != null && !engine.equals("dl4j")) {
            a.add("--engine");
            a.add(engine);
        }
        if (lambdas != null) {
            a.add("--lambdas");
            a.add(java.util.Arrays.stream(lambdas).mapToObj(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(",")));
        }
        return a;
    }

    /** The network as {@code --arch} names it: {@code resnetN} or {@code zoo:NAME}. */
    String arch() {
        return zoo != null ? zoo.arch() : "resnet" + depth;
    }

    /** A short label such as {@code infopro-contrast K=4}. */
    String label() {
        return method + (method == Method.E2E ? "" : " K=" + k);
    }
}
