package dev.infopro.dl4j.examples;

import org.junit.jupiter.api.Test;

/**
 * Keeps docs/samediff.md's example running: the SameDiff quick start, in its own setting, learns above chance on
 * real images, and its exported plain graph predicts what the local model does.
 */
class SameDiffQuickStartTest {
    @Test
    void sameDiffQuickStartTrainsAndExports() throws Exception {
        SameDiffExampleChecks.trainedAndExports(SameDiffQuickStart.train(2000, 2));
    }
}
