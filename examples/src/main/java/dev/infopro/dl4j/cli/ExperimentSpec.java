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
    /** CIFAR ResNet depth. */
    int depth;
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

    /** A short label such as {@code infopro-contrast K=4}. */
    String label() {
        return method + (method == Method.E2E ? "" : " K=" + k);
    }
}
