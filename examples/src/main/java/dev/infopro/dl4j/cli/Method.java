package dev.infopro.dl4j.cli;

import dev.infopro.dl4j.config.LocalLearning;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The training methods the tool offers, by their command-line names. */
enum Method {
    E2E("e2e"), GREEDY("greedy"), INFOPRO_SOFTMAX("infopro-softmax"), INFOPRO_CONTRAST("infopro-contrast");

    final String cliName;

    Method(String cliName) {
        this.cliName = cliName;
    }

    /** The library's method with the reference heads (docs/method.md §2.3, §2.4). */
    LocalLearning learning() {
        switch (this) {
            case E2E:
                return LocalLearning.endToEnd();
            case GREEDY:
                return LocalLearning.greedy();
            case INFOPRO_SOFTMAX:
                return LocalLearning.infoProSoftmax();
            default:
                return LocalLearning.infoProContrast();
        }
    }

    static Method parse(String name) {
        for (Method m : values()) {
            if (m.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new UsageException("--method " + name + " is unknown; use one of "
                + Arrays.stream(values()).map(m -> m.cliName).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
