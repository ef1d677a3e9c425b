package dev.infopro.dl4j.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The smoothing of the loss curves. */
class ChartsTest {
    @Test
    void trailingMeanOverTheWindow() {
        assertEquals(List.of(1.0, 1.5, 2.5, 3.5, 8.0), Charts.smooth(List.of(1.0, 2.0, 3.0, 4.0, 12.0), 2));
        assertEquals(List.of(1.0, 1.5, 2.0, 3.0), Charts.smooth(List.of(1.0, 2.0, 3.0, 4.0), 3));
        assertEquals(List.of(5.0, 7.0), Charts.smooth(List.of(5.0, 7.0), 1));
    }

    @Test
    void windowIsATwentiethOfTheRunBetweenOneAndFifty() {
        assertEquals(1, Charts.smoothingWindow(8));
        assertEquals(5, Charts.smoothingWindow(100));
        assertEquals(50, Charts.smoothingWindow(5000));
    }
}
