package dev.infopro.dl4j.archfixture.cycle.b;

import dev.infopro.dl4j.archfixture.cycle.a.CycleA;

/** Closes the cycle a -> b -> a. */
public class CycleB {
    public CycleA create() {
        return new CycleA();
    }
}
