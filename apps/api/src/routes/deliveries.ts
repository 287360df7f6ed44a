// The webhook delivery log of a job, and manual redelivery.
import type { DeliveriesRepo } from '@agentq/db';
import { isUuid } from '@agentq/db';
import type { Queues } from '@agentq/queue';
import { Router } from 'express';
import { tenantOf } from '../auth.ts';
import { notFound, route } from '../errors.ts';

export function deliveryRoutes(deliveries: DeliveriesRepo, queues: Queues): Router {
  const router = Router();
  router.get(
    '/jobs/:id/deliveries',
    route(async (req, res) => {
      const id = String(req.params.id);
      const log = isUuid(id) ? await deliveries.forJob(tenantOf(res), id) : undefined;
      if (!log) throw notFound();
      res.json(log);
    }),
  );
  router.post(
    '/deliveries/:id/redeliver',
    route(async (req, res) => {
      const id = String(req.params.id);
      if (!isUuid(id) || !(await deliveries.redeliver(tenantOf(res), id))) throw notFound('delivery');
      await queues.enqueue('webhookDelivery', { delivery_id: id });
      res.status(202).json({ id, status: 'pending' });
    }),
  );
  return router;
}
