package dev.infopro.dl4j.archfixture.cycle.a;

import dev.infopro.dl4j.archfixture.cycle.b.CycleB;

/** Uses {@link CycleB}, which uses this class: a package cycle a -> b -> a. */
public class CycleA {
    private CycleB partner;

    public CycleB partner() {
        return partner;
    }
}
